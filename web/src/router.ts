// Every page is its own chunk: the phone pages never load Element Plus or ECharts.
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { hasRole, homeFor, session } from './lib/session';

const OFFICE = ['SUPERVISION_OFFICE', 'LEADER'];
const UNIT = ['UNIT_SUPERVISOR', 'UNIT_HEAD'];

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    roles?: string[];
    title?: string;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: () => homeFor(session.person) },
    { path: '/signin', component: () => import('./pages/common/SignIn.vue'), meta: { public: true, title: '登录' } },
    {
      path: '/console',
      component: () => import('./pages/console/ConsoleLayout.vue'),
      children: [
        { path: 'board', component: () => import('./pages/console/Board.vue'), meta: { roles: OFFICE, title: '工作台' } },
        { path: 'items/new', component: () => import('./pages/console/ItemCreate.vue'), meta: { roles: ['SUPERVISION_OFFICE'], title: '立项交办' } },
        { path: 'items/:id', component: () => import('./pages/console/ItemDetail.vue'), meta: { title: '事项详情' } },
        { path: 'performance', component: () => import('./pages/console/Performance.vue'), meta: { title: '我的政绩档案' } },
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
    { path: '/screen', component: () => import('./pages/screen/BigScreen.vue'), meta: { roles: OFFICE, title: '督查大屏' } },
    { path: '/forbidden', component: () => import('./pages/common/Forbidden.vue'), meta: { public: true, title: '无权查看' } },
    { path: '/:rest(.*)*', component: () => import('./pages/common/NotFound.vue'), meta: { public: true, title: '页面不存在' } },
  ],
});

router.beforeEach((to: RouteLocationNormalized) => {
  if (to.meta.public) return true;
  if (!session.token) return { path: '/signin', query: { next: to.fullPath } };
  if (to.meta.roles && !hasRole(...to.meta.roles)) return { path: '/forbidden', query: { from: to.fullPath } };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 督查督办` : '督查督办';
});
