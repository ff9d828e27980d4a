// Chinese words for the API's enums. Colours always travel with their word (红/黄/蓝/绿).
export type Level = 'RED' | 'YELLOW' | 'BLUE' | 'GREEN';

export const LEVELS: Level[] = ['RED', 'YELLOW', 'BLUE', 'GREEN'];

export const LEVEL_WORD: Record<Level, string> = { RED: '红', YELLOW: '黄', BLUE: '蓝', GREEN: '绿' };
export const LEVEL_MEANING: Record<Level, string> = {
  RED: '逾期未办',
  YELLOW: '进度滞后',
  BLUE: '进度停滞',
  GREEN: '正常推进',
};
// Colours with at least 4.5:1 contrast against white text (WCAG AA).
export const LEVEL_COLOUR: Record<Level, string> = {
  RED: '#c62828',
  YELLOW: '#8a6100',
  BLUE: '#1f5fbf',
  GREEN: '#2e7d32',
};

export function levelLabel(level: string | null | undefined): string {
  if (!level) return '无';
  const l = level as Level;
  return `${LEVEL_WORD[l]}·${LEVEL_MEANING[l]}`;
}

export const SOURCE_LABEL: Record<string, string> = {
  KEY_WORK: '重点工作',
  LEADER_INSTRUCTION: '领导批示',
  MAJOR_PROJECT: '重大项目',
  CONGRESS_PROPOSAL: '人大建议',
  CPPCC_PROPOSAL: '政协提案',
  PUBLIC_REQUEST: '群众诉求',
  SUPERIOR_ASSIGNMENT: '上级交办',
  OTHER: '其他',
};

export const STATE_LABEL: Record<string, string> = {
  DRAFT: '草稿',
  ASSIGNED: '已交办',
  IN_PROGRESS: '办理中',
  COMPLETION_REQUESTED: '申请办结',
  COMPLETED: '已办结',
  SUSPENDED: '已暂停',
  CANCELLED: '已撤销',
};

export const ASSIGNMENT_STATE_LABEL: Record<string, string> = {
  ASSIGNED: '待签收',
  SIGNED: '已签收',
  IN_PROGRESS: '办理中',
  COMPLETION_REQUESTED: '申请办结',
  COMPLETED: '已完成',
  RETURNED: '已退回',
};

export const EXEMPTION_STATE_LABEL: Record<string, string> = {
  PENDING: '待审核',
  APPROVED: '已批准',
  REJECTED: '未批准',
  REVOKED: '已撤销',
};

export const PERIOD_KIND_LABEL: Record<string, string> = { QUARTER: '季度', YEAR: '年度' };
export const PERIOD_STATE_LABEL: Record<string, string> = { OPEN: '进行中', CLOSED: '已关闭（排名已冻结）' };

export const RULE_KIND_LABEL: Record<string, string> = {
  SCORING: '计分规则',
  SELECTION_WEIGHTS: '干部选拔权重',
  UNIT_WEIGHTS: '单位评价权重',
  UP_DOWN: '能上能下规则',
};

export const FLAG_DIRECTION_LABEL: Record<string, string> = { UP: '能上', DOWN: '能下' };


export const CYCLE_LABEL: Record<string, string> = {
  DAILY: '每日',
  WEEKLY: '每周',
  BIWEEKLY: '每两周',
  MONTHLY: '每月',
};

export const ROLE_LABEL: Record<string, string> = {
  SUPERVISION_OFFICE: '督查办',
  LEADER: '区领导',
  UNIT_HEAD: '单位负责人',
  UNIT_SUPERVISOR: '单位督查员',
  CADRE: '干部',
};

export const ACTION_LABEL: Record<string, string> = {
  'item.created': '立项交办',
  'assignment.signed': '签收',
  'assignment.returned': '退回',
  'assignment.reassigned': '改派',
  'report.submitted': '汇报进度',
  'report.verified': '核查汇报',
  'completion.requested': '申请办结',
  'completion.verified': '核验办结',
  'completion.sent_back': '退回办结申请',
  'extension.requested': '申请延期',
  'extension.decided': '延期审批',
  'item.chased': '催办',
  'item.suspended': '暂停',
  'item.resumed': '恢复',
  'item.cancelled': '撤销',
  'instruction.added': '领导批示',
  'notice.issued': '印发通知单',
  'notice.acknowledged': '签收通知单',
};

// Audit actions of the office's moves and the lifecycle (tasks/moves, tasks/lifecycle).
Object.assign(ACTION_LABEL, {
  'item.updated': '修改事项',
  'item.deadline_reset': '调整时限',
  'item.deadline_changed': '时限变更',
  'item.completed': '事项办结',
  'item.suspended': '暂停',
  'item.resumed': '恢复',
  'item.cancelled': '撤销',
  'assignment.transferred': '转办',
  'assignment.completion_requested': '申请办结',
  'assignment.verified': '核实办结',
  'assignment.sent_back': '退回重办',
  'instruction.recorded': '代录批示',
  'instruction.confirmed': '领导确认批示',
});
Object.assign(ASSIGNMENT_STATE_LABEL, { TRANSFERRED: '已转办', WITHDRAWN: '已撤出' });

/** Item states in which the office's moves are allowed (services/tasks/lifecycle/domain.py). */
export const OPEN_ITEM_STATES = ['ASSIGNED', 'IN_PROGRESS', 'COMPLETION_REQUESTED'];

export const EXTENSION_STATE_LABEL: Record<string, string> = { PENDING: '待审批', APPROVED: '已批准', REJECTED: '已驳回' };
export const VERIFICATION_LABEL: Record<string, string> = { CONFIRMED: '核实无误', DISPUTED: '存在异议' };
export const RECIPIENT_ROLE_LABEL: Record<string, string> = {
  UNIT_HEAD: '单位负责人',
  UNIT_SUPERVISOR: '单位督查员',
  OWNER: '具体负责人',
  RESPONSIBLE_LEADER: '分包领导',
};
export const CHANNEL_LABEL: Record<string, string> = {
  INBOX: '站内信',
  WECOM_APP: '企业微信应用消息',
  WECOM_ROBOT: '企业微信群机器人',
  EMAIL: '邮件',
};
export const DELIVERY_STATE_LABEL: Record<string, string> = {
  PENDING: '待发送',
  SENDING: '发送中',
  SENT: '已送达',
  HELD: '暂缓（事项已暂停）',
  SKIPPED: '已跳过',
  DEAD: '投递失败',
};
export const REMINDER_KIND_LABEL: Record<string, string> = {
  DEADLINE_NEAR: '临期提醒',
  ITEM_CHANGED: '事项变更',
  LEVEL_CHANGED: '颜色变化',
  NOTICE_ESCALATION: '通知单升级提醒',
  NOTICE_UNACKED: '通知单未签收',
  RED_CHASE: '红色催办',
  RED_ESCALATION: '红色升级提醒',
  REPORT_DUE: '汇报到期',
};
export const RULE_SOURCE_LABEL: Record<string, string> = { DEFAULT: '默认（其他来源）', ...SOURCE_LABEL };

// 政绩档案的计分规则 (the ledger's rule codes); EXEMPTED:/RESTORED: prefix another rule.
export const PERFORMANCE_RULE_LABEL: Record<string, string> = {
  ITEM_TAKEN_ON: '承办事项',
  COMPLETED_ON_TIME: '按期办结',
  COMPLETED_LATE: '逾期办结',
  EXTENSION_APPROVED: '批准延期',
  COLOUR_RED: '红色预警',
  COLOUR_YELLOW: '黄色预警',
  COLOUR_BLUE: '蓝色预警',
  COLOUR_GREEN: '绿色',
  VERIFICATION_DISPUTED: '核实不符',
  COMMENDATION: '领导表扬',
  CRITICISM: '领导批评',
};

export function ruleLabel(rule: string): string {
  const [head, rest] = rule.includes(':') ? [rule.slice(0, rule.indexOf(':')), rule.slice(rule.indexOf(':') + 1)] : ['', rule];
  const base = PERFORMANCE_RULE_LABEL[rest] ?? rest;
  if (head === 'EXEMPTED') return `容错免除·${base}`;
  if (head === 'RESTORED') return `撤销容错·${base}`;
  return base;
}
