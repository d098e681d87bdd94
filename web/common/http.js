// The fetch wrapper both apps build their api.js on: JSON in and out, bearer token,
// optional extra headers (X-Merchant-Id), errors as ApiError with the server's code.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
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
 */
export function createHttp({ base = '/api/v1', token, headers = () => ({}), onUnauthorized }) {
  async function request(method, path, { body, query, idempotencyKey } = {}) {
    const h = { Accept: 'application/json', ...headers() };
    const t = token();
    if (t) h.Authorization = `Bearer ${t}`;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (idempotencyKey) h['Idempotency-Key'] = idempotencyKey;
    let res;
    try {
      res = await fetch(base + path + queryString(query), {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', e.message);
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
      const err = new ApiError(res.status, data?.error?.code, data?.error?.message);
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
  };
}
