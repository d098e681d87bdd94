// The fetch wrapper both apps build their api.js on: JSON in and out, bearer token,
// optional extra headers (X-Merchant-Id), the app's language as Accept-Language, errors as
// ApiError with the server's code, reason and params (docs/api.md "Errors"). An app passes
// `describe` to word the error itself (web/common/errors.js); err.message is what to show.

export class ApiError extends Error {
  constructor(status, code, message, { reason, params } = {}) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.reason = reason;
    this.params = params || {};
    this.serverMessage = message; // in the Accept-Language the app sent
  }
}

/** A random key for Idempotency-Key; works outside secure contexts too. */
export function newIdempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * @param {object} opts
 * @param {() => string|null} opts.token          current bearer token
 * @param {() => object} [opts.headers]           extra headers per request
 * @param {(err: ApiError) => void} [opts.onUnauthorized]  called on 401
 * @param {() => string} [opts.lang]              the app's locale ('zh' | 'en'), sent as Accept-Language
 * @param {(err: ApiError) => string} [opts.describe]  the text to show for an error (becomes err.message)
 */
export function createHttp({ base = '/api/v1', token, headers = () => ({}), onUnauthorized, lang, describe }) {
  const fail = (err) => {
    if (describe) err.message = describe(err);
    return err;
  };
  async function request(method, path, { body, query, idempotencyKey, form } = {}) {
    const h = { Accept: 'application/json', ...headers() };
    // The server words its messages in the app's language (zh unless the app is in English).
    if (lang) h['Accept-Language'] = lang() === 'en' ? 'en' : 'zh-CN';
    const t = token();
    if (t) h.Authorization = `Bearer ${t}`;
    // A FormData body (a file upload) sets its own multipart Content-Type with the boundary.
    if (body !== undefined && !form) h['Content-Type'] = 'application/json';
    if (idempotencyKey) h['Idempotency-Key'] = idempotencyKey;
    let res;
    try {
      res = await fetch(base + path + queryString(query), {
        method,
        headers: h,
        body: form || (body === undefined ? undefined : JSON.stringify(body)),
      });
    } catch (e) {
      throw fail(new ApiError(0, 'NETWORK', undefined, { params: { detail: e.message } }));
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const e = data?.error;
      const err = fail(new ApiError(res.status, e?.code, e?.message, { reason: e?.reason, params: e?.params }));
      if (res.status === 401 && onUnauthorized) onUnauthorized(err);
      throw err;
    }
    return data;
  }
  return {
    get: (path, query) => request('GET', path, { query }),
    post: (path, body, opts) => request('POST', path, { body: body ?? {}, ...opts }),
    put: (path, body) => request('PUT', path, { body }),
    patch: (path, body) => request('PATCH', path, { body }),
    del: (path) => request('DELETE', path),
    // POST of one file as multipart/form-data (its `file` part), e.g. a photo to /merchant/media.
    upload: (path, file) => {
      const form = new FormData();
      form.append('file', file, file.name || 'photo');
      return request('POST', path, { form });
    },
  };
}
