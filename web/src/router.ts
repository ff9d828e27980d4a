// Every page is its own chunk: the phone pages never load Element Plus or ECharts.
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { BoardDocument, ScreenOverviewDocument } from './gql/graphql';
import { prefetch } from './lib/client';
import { hasRole, homeFor, renewSession, session } from './lib/session';

const OFFICE = ['SUPERVISION_OFFICE', 'LEADER'];
const UNIT = ['UNIT_SUPERVISOR', 'UNIT_HEAD'];

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    roles?: string[];
    title?: string;
    /** the page's first query, started by the guard in parallel with loading the page */
    prefetch?: () => void;
  }
}

// The first queries of the heaviest pages, with exactly the variables the page asks first
// (Board.vue with its filter form empty; BigScreen.vue's overview): keep them in step, or
// the page asks again and only loses the head start (bench/bench_web.py measures it).
const prefetchBoard = () =>
  prefetch(BoardDocument, {
    first: 50,
    filter: { sources: null, states: null, unitId: null, year: null, keyword: null },
  });
const prefetchScreen = () => prefetch(ScreenOverviewDocument, {});

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: () => homeFor(session.person) },
    { path: '/signin', component: () => import('./pages/common/SignIn.vue'), meta: { public: true, title: '登录' } },
    {
      path: '/console',
      component: () => import('./pages/console/ConsoleLayout.vue'),
      children: [
        { path: 'board', component: () => import('./pages/console/Board.vue'), meta: { roles: OFFICE, title: '工作台', prefetch: prefetchBoard } },
        { path: 'items/new', component: () => import('./pages/console/ItemCreate.vue'), meta: { roles: ['SUPERVISION_OFFICE'], title: '立项交办' } },
        { path: 'items/:id', component: () => import('./pages/console/ItemDetail.vue'), meta: { title: '事项详情' } },
        { path: 'performance', component: () => import('./pages/console/Performance.vue'), meta: { title: '我的政绩档案' } },
        // 督查办 pages (pages/office)
        { path: 'queue', component: () => import('./pages/office/Queue.vue'), meta: { roles: ['SUPERVISION_OFFICE'], title: '核查审批' } },
        { path: 'notices', component: () => import('./pages/office/Notices.vue'), meta: { roles: ['SUPERVISION_OFFICE'], title: '督查通知单' } },
        { path: 'ledger', component: () => import('./pages/office/Ledger.vue'), meta: { roles: OFFICE, title: '台账导入导出' } },
        { path: 'statistics', component: () => import('./pages/office/Statistics.vue'), meta: { roles: OFFICE, title: '统计分析' } },
        { path: 'alert-rules', component: () => import('./pages/office/AlertSettings.vue'), meta: { roles: OFFICE, title: '预警规则' } },
        { path: 'reminder-texts', component: () => import('./pages/office/ReminderTexts.vue'), meta: { roles: OFFICE, title: '提醒文字' } },
        { path: 'notifications', component: () => import('./pages/office/NotificationLog.vue'), meta: { roles: OFFICE, title: '通知投递记录' } },
        { path: 'exemptions', component: () => import('./pages/console/Exemptions.vue'), meta: { title: '容错免责' } },
        { path: 'leader', component: () => import('./pages/console/LeaderDesk.vue'), meta: { roles: ['LEADER'], title: '领导批示' } },
        { path: 'evaluation', component: () => import('./pages/console/EvaluationOffice.vue'), meta: { roles: OFFICE, title: '考核评价' } },
      ],
    },
    {
      path: '/m',
      component: () => import('./pages/mobile/MobileLayout.vue'),
      children: [
        { path: 'items', component: () => import('./pages/mobile/MyUnitItems.vue'), meta: { roles: UNIT, title: '本单位事项' } },
        { path: 'items/:id', component: () => import('./pages/mobile/MobileItem.vue'), meta: { roles: UNIT, title: '事项办理' } },
        { path: 'notices', component: () => import('./pages/mobile/MobileNotices.vue'), meta: { title: '督查通知单' } },
        { path: 'inbox', component: () => import('./pages/mobile/MobileInbox.vue'), meta: { title: '站内信' } },
      ],
    },
    { path: '/screen', component: () => import('./pages/screen/BigScreen.vue'), meta: { roles: OFFICE, title: '督查大屏', prefetch: prefetchScreen } },
    { path: '/forbidden', component: () => import('./pages/common/Forbidden.vue'), meta: { public: true, title: '无权查看' } },
    { path: '/:rest(.*)*', component: () => import('./pages/common/NotFound.vue'), meta: { public: true, title: '页面不存在' } },
  ],
});

router.beforeEach(async (to: RouteLocationNormalized) => {
  if (to.meta.public) return true;
  // a WeCom session whose token ran out (the tab slept) renews from its cookie first
  if (!session.token && session.renewable) await renewSession();
  if (!session.token) return { path: '/signin', query: { next: to.fullPath } };
  if (to.meta.roles && !hasRole(...to.meta.roles)) return { path: '/forbidden', query: { from: to.fullPath } };
  to.meta.prefetch?.();
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 督查督办` : '督查督办';
});
