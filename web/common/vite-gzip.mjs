// Vite plugin for both apps: writes a .gz twin next to each text file of the build.
// The server keeps the twins in memory and sends them to clients that accept gzip.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export default function gzipTwins({ test = /\.(js|css|html|svg|json)$/ } = {}) {
  let outDir;
  return {
    name: 'xiaodian-gzip-twins',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    writeBundle(_options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!test.test(name)) continue;
        const file = path.join(outDir, name);
        fs.writeFileSync(`${file}.gz`, gzipSync(fs.readFileSync(file), { level: 9 }));
      }
    },
  };
}
