// Keep a page fresh without reload: re-run its query every few seconds while the tab is
// visible (and at once when a subscription event says something changed).
import { onBeforeUnmount, onMounted } from 'vue';

export function useRefresh(refresh: () => void, everyMs = 4000): void {
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, everyMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
}
