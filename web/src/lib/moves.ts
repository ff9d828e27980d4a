// Running one of the office's mutations from a form: typed UserErrors split into field
// messages (beside the field) and a form message; success reported and the page refreshed.
import { ElMessage } from 'element-plus';
import { ref } from 'vue';
import { fieldErrors, problemOf, type UserErrorLike } from './errors';

type Result = { data?: Record<string, unknown> | null; error?: Parameters<typeof problemOf>[0] };

export function useMoveForm() {
  const errors = ref<Record<string, string>>({});
  const formError = ref<string | null>(null);
  const busy = ref(false);

  function reset() {
    errors.value = {};
    formError.value = null;
  }

  /** Run the mutation; true when its result is the success member. */
  async function run(exec: () => Promise<Result>, field: string, done: string): Promise<boolean> {
    reset();
    busy.value = true;
    try {
      const r = await exec();
      const problem = problemOf(r.error);
      if (problem) {
        formError.value = problem.message;
        return false;
      }
      const result = r.data?.[field] as UserErrorLike | undefined;
      if (result?.__typename?.endsWith('Success')) {
        ElMessage.success(done);
        return true;
      }
      const split = fieldErrors(result);
      errors.value = split.fields;
      formError.value = split.form ?? (Object.keys(split.fields).length ? null : '操作未成功，请稍后重试');
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { errors, formError, busy, run, reset };
}

/**
 * Buttons in the rows of a table (approve, confirm, …): a refused action's message goes under
 * its own row, in the row's words (the form message, else the first field's), and the other
 * rows' messages are cleared.
 */
export function useRowActions(fallback = '操作失败') {
  const rowError = ref<Record<string, string>>({});

  /** Run the row's action; true unless its result is a typed refusal. */
  async function act(id: string, exec: () => Promise<UserErrorLike | null | undefined>): Promise<boolean> {
    rowError.value = {};
    const result = await exec();
    if (result && !result.__typename?.endsWith('Success')) {
      const split = fieldErrors(result);
      rowError.value = { [id]: split.form ?? Object.values(split.fields)[0] ?? fallback };
      return false;
    }
    return true;
  }

  return { rowError, act };
}
