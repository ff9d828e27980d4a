// Saved board views (筛选方案). The API has no field to store them, so they live in this tab's
// sessionStorage under the signed-in person's id: gone when the tab closes, never shared
// between people, and never holding a token.
import { session } from './session';

export interface SavedView<F> {
  name: string;
  filter: F;
  savedAt: string;
}

function key(kind: string): string | null {
  return session.person ? `ducha.views.${kind}.${session.person.id}` : null;
}

export function loadViews<F>(kind: string): SavedView<F>[] {
  const k = key(kind);
  if (!k) return [];
  try {
    const raw = sessionStorage.getItem(k);
    return raw ? (JSON.parse(raw) as SavedView<F>[]) : [];
  } catch {
    return [];
  }
}

export function storeViews<F>(kind: string, views: SavedView<F>[]): void {
  const k = key(kind);
  if (k) sessionStorage.setItem(k, JSON.stringify(views));
}
