// The signed-in person and their token. Kept in memory and in sessionStorage (so a reload of
// the same tab stays signed in; closing the tab forgets it). Never in localStorage (ADR 0018).
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
}

const KEY = 'ducha.session';
const state = reactive<State>({ token: null, person: null, expiresAt: 0 });

function restore(): void {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return;
    const saved = JSON.parse(raw) as State;
    if (saved.token && saved.expiresAt > Date.now()) Object.assign(state, saved);
    else sessionStorage.removeItem(KEY);
  } catch {
    sessionStorage.removeItem(KEY);
  }
}
restore();

export const session = readonly(state);

export function signIn(token: string, person: SessionPerson, expiresInSeconds: number): void {
  state.token = token;
  state.person = person;
  state.expiresAt = Date.now() + expiresInSeconds * 1000;
  sessionStorage.setItem(KEY, JSON.stringify(state));
}

export function signOut(): void {
  state.token = null;
  state.person = null;
  state.expiresAt = 0;
  sessionStorage.removeItem(KEY);
}

export function currentToken(): string | null {
  if (state.token && state.expiresAt <= Date.now()) signOut();
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
