// Regions for the address picker: China's provinces, cities and districts as the server lists
// them (GET /api/v1/regions: @vant/area-data's codes, which the server also validates), fetched
// once when a picker first opens and kept for the page's life.
import { api } from './api.js';

let regions = null;
export function loadRegions() {
  if (!regions) regions = api.regions().catch((e) => {
    regions = null;
    throw e;
  });
  return regions;
}

/** The address as the API takes it: region codes when picked (the server names them), else the typed region. */
export function addressBody(form) {
  const a = { name: form.name.trim(), phone: form.phone, detail: form.detail.trim() };
  if (form.province_code) Object.assign(a, { province_code: form.province_code, city_code: form.city_code, district_code: form.district_code });
  else a.region = form.region.trim();
  return a;
}
