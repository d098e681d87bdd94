// What a user reads when an API call fails, in the app's language: the app's own words for
// the server's reason (then its code), filled with the server's params; otherwise the
// server's message, which the server already wrote in the language the app asked for
// (Accept-Language, web/common/http.js). Never a raw code, a field name or a browser's
// English ("Failed to fetch"): a network failure and an answer without a body have their
// own messages.
//
//   createHttp({ ..., lang: () => locale.value, describe: (err) => errorText(err, { t, has }) })

/**
 * @param {{status:number, code?:string, reason?:string, params?:object, serverMessage?:string}} err
 * @param {{t:(key:string, params?:object)=>string, has:(key:string)=>boolean}} i18n
 */
export function errorText(err, { t, has }) {
  const params = err.params || {};
  if (err.reason && has(`err.${err.reason}`)) return t(`err.${err.reason}`, params);
  if (err.code !== 'NETWORK' && err.serverMessage) return err.serverMessage;
  if (err.code && has(`err.${err.code}`)) return t(`err.${err.code}`, params);
  return t('err.unknown', { status: err.status });
}
