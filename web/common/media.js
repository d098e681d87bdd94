// Uploaded photos are served in three sizes (decision 020): l (1280 px), m (480 px), s (160 px),
// named /media/<sha256>-<size>.jpg. A list shows a smaller size than a product page; any other
// image URL (an outside https one, the demo's placeholders) is used as it is.
export function sized(url, size) {
  return typeof url === 'string' ? url.replace(/^(\/media\/[0-9a-f]{64})-[lms]\.jpg$/, `$1-${size}.jpg`) : url;
}
