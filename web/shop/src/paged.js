// Cursor pagination ({items, next_cursor}) for <van-list>.
import { ref } from 'vue';

export function usePagedList(fetchPage) {
  const items = ref([]);
  const loading = ref(false);
  const finished = ref(false);
  const error = ref(false);
  let cursor = null;

  async function load() {
    loading.value = true;
    try {
      const page = await fetchPage(cursor);
      items.value.push(...page.items);
      cursor = page.next_cursor || null;
      finished.value = !cursor;
    } catch {
      error.value = true;
    } finally {
      loading.value = false;
    }
  }

  function reload() {
    items.value = [];
    cursor = null;
    finished.value = false;
    error.value = false;
    return load();
  }

  return { items, loading, finished, error, load, reload };
}
