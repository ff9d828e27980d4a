// People's and units' names for ids the API returns bare (audit actors, reporters, deciders).
import { useQuery } from '@urql/vue';
import { computed } from 'vue';
import { DirectoryDocument } from '../gql/graphql';

export function useDirectory() {
  const q = useQuery({ query: DirectoryDocument });
  const people = computed(() => q.data.value?.people ?? []);
  const units = computed(() => q.data.value?.units ?? []);
  const personById = computed(() => new Map(people.value.map((p) => [p.id, p])));
  const unitById = computed(() => new Map(units.value.map((u) => [u.id, u])));
  const leaders = computed(() => people.value.filter((p) => p.roles.includes('LEADER')));
  function personName(id: string | null | undefined): string {
    if (!id) return '—';
    const p = personById.value.get(id);
    // not a person of the district: a service or integration account (its subject is shown)
    return p ? p.name : `系统账号（${id.length > 12 ? id.slice(0, 8) : id}）`;
  }
  function personUnit(id: string | null | undefined): string {
    return (id && personById.value.get(id)?.unit?.name) || '—';
  }
  function unitName(id: string | null | undefined): string {
    if (!id) return '—';
    return unitById.value.get(id)?.name ?? '（已撤销单位）';
  }
  return { q, people, units, leaders, personName, personUnit, unitName };
}
