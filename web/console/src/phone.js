// The console on a phone (issue 15: a c2c seller opens a shop from the phone and lands here):
// below 768 px wide the layout swaps the sidebar for a bottom bar and a drawer, and the daily
// pages (orders, after-sales, products, activities, coupons) show card lists instead of wide
// tables. One reactive flag for every view, from matchMedia.
import { ref } from 'vue';

const query = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(max-width: 768px)') : null;
export const isPhone = ref(Boolean(query?.matches));
query?.addEventListener('change', (e) => {
  isPhone.value = e.matches;
});
