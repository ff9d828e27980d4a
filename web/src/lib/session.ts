// The signed-in person and their token. Kept in memory and in sessionStorage (so a reload of
// the same tab stays signed in; closing the tab forgets it). Never in localStorage (ADR 0018).
// A WeCom sign-in (ADR 0022) is renewable: its short-lived token is renewed before it expires
// through POST /auth/refresh, which reads an HttpOnly SameSite=Strict cookie this script
// never sees; sign-out revokes that cookie's session on the server.
import { reactive, readonly } from 'vue';

export interface SessionPerson {
  id: string;
  name: string;
  roles: readonly string[];
  unitId: string | null;
  unitName: string | null;
  position: string | null;
}

interface State {
  token: string | null;
  person: SessionPerson | null;
  expiresAt: number;
  renewable: boolean;
}

interface Issued {
  token: string;
  expiresIn: number;
  person: SessionPerson;
}

const KEY = 'ducha.session';
// set by sign-out: the sign-in page inside WeCom then waits for a click instead of signing
// the same person straight back in
const SIGNED_OUT = 'ducha.signedOut';
const CSRF = { 'x-ducha-csrf': '1' };
// renew this long before expiry (or at 80% of a shorter lifetime)
const RENEW_AHEAD_MS = 60_000;
const state = reactive<State>({ token: null, person: null, expiresAt: 0, renewable: false });
let renewTimer: ReturnType<typeof setTimeout> | null = null;
let renewing: Promise<boolean> | null = null;

function save(): void {
  sessionStorage.setItem(KEY, JSON.stringify(state));
}

function clear(): void {
  if (renewTimer) clearTimeout(renewTimer);
  renewTimer = null;
  state.token = null;
  state.person = null;
  state.expiresAt = 0;
  state.renewable = false;
  sessionStorage.removeItem(KEY);
}

function scheduleRenewal(): void {
  if (renewTimer) clearTimeout(renewTimer);
  renewTimer = null;
  if (!state.renewable || !state.token) return;
  const left = state.expiresAt - Date.now();
  const wait = Math.max(0, Math.min(left - RENEW_AHEAD_MS, left * 0.8));
  renewTimer = setTimeout(() => void renewSession(), wait);
}

function restore(): void {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return;
    const saved = JSON.parse(raw) as State;
    if (saved.token && saved.expiresAt > Date.now()) {
      Object.assign(state, saved);
      scheduleRenewal();
    } else if (saved.renewable && saved.person) {
      // the token ran out while the tab slept: the first navigation renews it
      Object.assign(state, { ...saved, token: null, expiresAt: 0 });
    } else sessionStorage.removeItem(KEY);
  } catch {
    sessionStorage.removeItem(KEY);
  }
}
restore();

export const session = readonly(state);

export function signIn(token: string, person: SessionPerson, expiresInSeconds: number, renewable = false): void {
  state.token = token;
  state.person = person;
  state.expiresAt = Date.now() + expiresInSeconds * 1000;
  state.renewable = renewable;
  sessionStorage.removeItem(SIGNED_OUT);
  save();
  scheduleRenewal();
}

/** A new token from the refresh cookie; false (and signed out) when the server refuses. */
export function renewSession(): Promise<boolean> {
  if (!state.renewable) return Promise.resolve(false);
  renewing ??= (async () => {
    try {
      const r = await fetch('/auth/refresh', { method: 'POST', headers: CSRF, credentials: 'same-origin' });
      if (r.status === 401 || r.status === 403) {
        clear();
        return false;
      }
      if (!r.ok) return !!state.token; // the server is away: keep the token while it lasts
      const body = (await r.json()) as Issued;
      signIn(body.token, body.person, body.expiresIn, true);
      return true;
    } catch {
      return !!state.token;
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

export function signOut(): void {
  if (state.renewable) {
    // revoke the refresh session; keepalive lets it finish while the page moves on
    void fetch('/auth/signout', { method: 'POST', headers: CSRF, credentials: 'same-origin', keepalive: true }).catch(
      () => undefined,
    );
  }
  clear();
  sessionStorage.setItem(SIGNED_OUT, '1');
}

/** True after a sign-out in this tab (until the next sign-in). */
export function signedOutHere(): boolean {
  return sessionStorage.getItem(SIGNED_OUT) === '1';
}

export function currentToken(): string | null {
  if (state.token && state.expiresAt <= Date.now()) {
    if (state.renewable) {
      state.token = null;
      void renewSession();
    } else signOut();
  }
  return state.token;
}

export function hasRole(...roles: string[]): boolean {
  return !!state.person && roles.some((r) => state.person!.roles.includes(r));
}

/** Where a person lands after signing in. */
export function homeFor(person: SessionPerson | null): string {
  if (!person) return '/signin';
  if (person.roles.includes('SUPERVISION_OFFICE')) return '/console/board';
  if (person.roles.includes('LEADER')) return '/console/board';
  if (person.roles.some((r) => r === 'UNIT_SUPERVISOR' || r === 'UNIT_HEAD')) return '/m/items';
  return '/console/performance';
}
