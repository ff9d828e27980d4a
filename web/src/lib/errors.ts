// Errors reach the pages in three tiers (docs/STYLE): typed UserError members beside their
// field, top-level FORBIDDEN/UNAUTHENTICATED as a friendly message with a sign-in prompt,
// anything else as a retry banner.
import type { CombinedError } from '@urql/core';

export type Problem = { kind: 'unauthenticated' | 'forbidden' | 'network' | 'other'; message: string } | null;

export function problemOf(error: CombinedError | undefined | null): Problem {
  if (!error) return null;
  const codes = error.graphQLErrors.map((e) => e.extensions?.code);
  const status = (error.response as Response | undefined)?.status;
  if (codes.includes('UNAUTHENTICATED') || status === 401) {
    return { kind: 'unauthenticated', message: '登录已失效，请重新登录' };
  }
  if (codes.includes('FORBIDDEN')) return { kind: 'forbidden', message: '无权查看' };
  if (error.networkError) return { kind: 'network', message: '网络连接中断，请稍后重试' };
  return { kind: 'other', message: '服务暂时不可用，请稍后重试' };
}

export interface UserErrorLike {
  __typename?: string;
  code?: string;
  message?: string;
  field?: string | null;
}

/** A mutation's typed error, split into a field message (when it names one) or a form message. */
export function fieldErrors(result: UserErrorLike | null | undefined): { fields: Record<string, string>; form: string | null } {
  if (!result || !result.message || result.__typename?.endsWith('Success')) return { fields: {}, form: null };
  if (result.field) {
    // "input.leadUnitId" and "leadUnitId" both name the leadUnitId field
    const name = result.field.split('.').pop()!;
    return { fields: { [name]: result.message }, form: null };
  }
  return { fields: {}, form: result.message };
}
