// Every user-facing string of the console, Chinese first. Codes from the data (kinds, choices,
// severities, rules) are not here: they come from the API's `vocabulary`, the ontology's one
// mapping, through `label`.

const ZH = {
  title: "小区治理图谱", subtitle: "党支部 + 业委会 + 物业",
  "nav.overview": "概览", "nav.gaps": "缺口在哪", "nav.ties": "交叉任职", "nav.whatif": "推演",
  "nav.search": "搜索", "nav.graphiql": "GraphiQL",
  "session.signin": "登录", "session.signout": "退出", "session.role": "角色",
  "role.department": "组织部", "role.researcher": "研究人员", "role.public": "公众",
  "signin.title": "登录", "signin.key": "API 密钥 (X-API-Key)", "signin.jwt": "或 JWT 令牌",
  "signin.go": "登录", "signin.cancel": "取消", "signin.hint": "不登录则以公众身份查看汇总数据。",
  "signin.bad": "密钥或令牌无效",
  lang: "EN", "lang.name": "Switch to English",
  asOf: "统计日期", "asOf.latest": "数据中的最近日期", "asOf.note": "默认取数据中的最近日期", "asOf.read": "按年末口径，分析日为 {day}",
  loading: "加载中…", error: "出错了",
  preparing: "服务正在准备分析数据（启动后首次需要几分钟），{seconds} 秒后自动重试（第 {attempt} 次）…", none: "无", more: "加载更多",
  "ov.title": "覆盖概览", "ov.cards": "各项覆盖率", "ov.severity": "发现问题（按严重程度）",
  "ov.trend": "覆盖率逐月趋势", "ov.trendYearly": "覆盖率逐年趋势（年末口径）", "ov.red": "红色物业考评", "ov.year": "年度",
  "ov.gold": "金牌红色物业", "ov.compounds": "小区数", "ov.findings": "问题总数", "ov.allCities": "全部城市", "ov.trendPreparing": "逐月趋势计算中，稍候自动显示…",
  "cov.branch": "党支部覆盖小区", "cov.partyGroups": "党小组覆盖楼栋", "cov.ownersCommittee": "成立业委会",
  "cov.propertyService": "物业服务覆盖", "cov.serviceStation": "党群服务站点覆盖",
  "cov.crossAppointment": "交叉任职率", "cov.appealsReplied": "诉求回复率", "cov.partyShare": "业委会党员比例",
  "gaps.title": "缺口在哪", "gaps.places": "下级地区", "gaps.ranking": "未覆盖社区排名",
  "gaps.findings": "问题清单", "gaps.rule": "规则", "gaps.severity": "严重程度", "gaps.all": "全部",
  "gaps.place": "地区", "gaps.subject": "对象", "gaps.explanation": "说明", "gaps.source": "依据",
  "gaps.responsible": "责任主体", "gaps.csv": "下载本表 CSV", "gaps.excel": "下载整改清单 (Excel)",
  "gaps.rank": "排名", "gaps.gaps": "缺口", "gaps.reasons": "主要原因", "gaps.city": "全市",
  "gaps.open": "查看小区", "gaps.deadline": "建议整改期限(天)",
  "level.CITY": "市", "level.TOWNSHIP": "乡镇(街道)", "level.COMMUNITY": "社区", "level.COMPOUND": "小区",
  "cmp.title": "小区", "cmp.network": "治理网络", "cmp.findings": "该小区的问题", "cmp.ties": "关系",
  "cmp.day": "日期", "cmp.svg": "导出 SVG", "cmp.png": "导出 PNG", "cmp.expand": "双击或回车展开节点",
  "cmp.draft": "在推演中起草", "cmp.conflicts": "利益冲突", "cmp.cross": "交叉任职",
  "ties.title": "交叉任职与关系", "ties.byCommunity": "各社区交叉任职率", "ties.conflicts": "利益冲突",
  "ties.interlocks": "组织间共享人员", "ties.brokers": "关键联络人", "ties.brokersPreparing": "关键联络人计算中，稍候自动显示…", "ties.person": "人员",
  "ties.committee": "业委会", "ties.company": "物业企业", "ties.seat": "业委会职务", "ties.job": "企业岗位",
  "ties.shared": "共享人数", "ties.betweenness": "中介中心度", "ties.degree": "连接数",
  "wi.title": "推演：改了会怎样", "wi.intro": "先起草变更，看哪些问题会关闭、哪些会出现；推演不写入数据，保存才写入。",
  "wi.branch": "新建联合党支部覆盖小区", "wi.branchName": "支部名称", "wi.compounds": "小区（可多选）",
  "wi.appoint": "任命人员", "wi.person": "人员编号", "wi.body": "组织编号", "wi.role": "职务",
  "wi.station": "服务站服务小区", "wi.stationId": "服务站编号", "wi.compound": "小区",
  "wi.add": "加入草稿", "wi.draft": "草稿", "wi.empty": "草稿为空", "wi.run": "推演", "wi.save": "保存（一次全部写入）",
  "wi.closed": "将关闭的问题", "wi.opened": "将新出现的问题", "wi.before": "现有问题", "wi.after": "变更后",
  "wi.saved": "已保存。", "wi.onlyDept": "推演和保存仅限组织部。", "wi.remove": "移除", "wi.clear": "清空",
  "search.title": "搜索", "search.placeholder": "输入名称，如：团结苑", "search.go": "搜索", "search.none": "没有找到",
  "public.only": "公众身份只能查看汇总数据；登录后可查看明细。",
  "foot": "数据仅在本机处理，不向外部发送任何请求。",
};

const EN = {
  title: "Governance graph", subtitle: "Party branch + owners' committee + property management",
  "nav.overview": "Overview", "nav.gaps": "Where the gaps are", "nav.ties": "Ties", "nav.whatif": "What if",
  "nav.search": "Search", "nav.graphiql": "GraphiQL",
  "session.signin": "Sign in", "session.signout": "Sign out", "session.role": "Role",
  "role.department": "Department", "role.researcher": "Researcher", "role.public": "Public",
  "signin.title": "Sign in", "signin.key": "API key (X-API-Key)", "signin.jwt": "or a JWT",
  "signin.go": "Sign in", "signin.cancel": "Cancel", "signin.hint": "Without signing in you see aggregates as the public.",
  "signin.bad": "The key or token was not accepted",
  lang: "中文", "lang.name": "切换到中文",
  asOf: "As of", "asOf.latest": "the latest date in the data", "asOf.note": "defaults to the latest date in the data", "asOf.read": "read by year: analysed as of {day}",
  loading: "Loading…", error: "Error",
  preparing: "The service is still working out its analyses (the first time after a start takes a few minutes); trying again in {seconds} s (attempt {attempt})…", none: "None", more: "Load more",
  "ov.title": "Coverage overview", "ov.cards": "Coverage", "ov.severity": "Findings by severity",
  "ov.trend": "Coverage month by month", "ov.trendYearly": "Coverage year by year (at each year's end)", "ov.red": "Red-property evaluations", "ov.year": "Year",
  "ov.gold": "Gold red property", "ov.compounds": "Compounds", "ov.findings": "Findings", "ov.allCities": "All cities", "ov.trendPreparing": "Working out the month-by-month trend; it shows here when ready…",
  "cov.branch": "Compounds with a Party branch", "cov.partyGroups": "Buildings with a Party group",
  "cov.ownersCommittee": "Owners' committees", "cov.propertyService": "Property service",
  "cov.serviceStation": "Service stations", "cov.crossAppointment": "Cross-appointment rate",
  "cov.appealsReplied": "Appeals replied", "cov.partyShare": "Party members on committees",
  "gaps.title": "Where the gaps are", "gaps.places": "Places below", "gaps.ranking": "Uncovered communities",
  "gaps.findings": "Findings", "gaps.rule": "Rule", "gaps.severity": "Severity", "gaps.all": "All",
  "gaps.place": "Place", "gaps.subject": "Subject", "gaps.explanation": "Explanation", "gaps.source": "Source",
  "gaps.responsible": "Responsible", "gaps.csv": "Download this table (CSV)", "gaps.excel": "Download the rectification list (Excel)",
  "gaps.rank": "Rank", "gaps.gaps": "Gaps", "gaps.reasons": "Main reasons", "gaps.city": "Whole city",
  "gaps.open": "Open compound", "gaps.deadline": "Days to fix",
  "level.CITY": "City", "level.TOWNSHIP": "Township", "level.COMMUNITY": "Community", "level.COMPOUND": "Compound",
  "cmp.title": "Compound", "cmp.network": "Governance network", "cmp.findings": "Findings here", "cmp.ties": "Ties",
  "cmp.day": "Day", "cmp.svg": "Export SVG", "cmp.png": "Export PNG", "cmp.expand": "Double-click or Enter expands a node",
  "cmp.draft": "Draft a change", "cmp.conflicts": "Conflicts of interest", "cmp.cross": "Cross-appointment",
  "ties.title": "Cross-appointments and ties", "ties.byCommunity": "Cross-appointment rate by community",
  "ties.conflicts": "Conflicts of interest", "ties.interlocks": "Interlocks", "ties.brokers": "Brokers", "ties.brokersPreparing": "Working out the brokers; they show here when ready…",
  "ties.person": "Person", "ties.committee": "Committee", "ties.company": "Company", "ties.seat": "Seat",
  "ties.job": "Job", "ties.shared": "Shared", "ties.betweenness": "Betweenness", "ties.degree": "Degree",
  "wi.title": "What if", "wi.intro": "Draft changes and see which findings close and which open; nothing is written until you save.",
  "wi.branch": "A joint Party branch covering compounds", "wi.branchName": "Branch name", "wi.compounds": "Compounds",
  "wi.appoint": "Appoint a person", "wi.person": "Person id", "wi.body": "Body id", "wi.role": "Post",
  "wi.station": "A station serving a compound", "wi.stationId": "Station id", "wi.compound": "Compound",
  "wi.add": "Add to draft", "wi.draft": "Draft", "wi.empty": "The draft is empty", "wi.run": "Evaluate", "wi.save": "Save (all or nothing)",
  "wi.closed": "Findings that close", "wi.opened": "Findings that open", "wi.before": "Findings now", "wi.after": "With the draft",
  "wi.saved": "Saved.", "wi.onlyDept": "What-if and saving are for the department only.", "wi.remove": "Remove", "wi.clear": "Clear",
  "search.title": "Search", "search.placeholder": "A name, e.g. 团结苑", "search.go": "Search", "search.none": "Nothing found",
  "public.only": "The public sees aggregates only; sign in for details.",
  "foot": "All data stays on this machine; the console sends no request elsewhere.",
};

const LANG_KEY = "govgraph.lang";

export function lang() {
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
}

export function setLang(value) {
  localStorage.setItem(LANG_KEY, value);
  document.documentElement.lang = value === "en" ? "en" : "zh-CN";
}

/** @param {string} key */
export function t(key, vars = {}) {
  const table = lang() === "en" ? EN : ZH;
  const text = table[key] ?? ZH[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

/** Labels of the data's codes, filled from the API's `vocabulary` at start. */
export const vocab = { kinds: {}, links: {}, choices: {}, severities: {}, rules: {}, severityOrder: [], choiceSets: {} };

export function loadVocabulary(v) {
  for (const k of v.nodeKinds) vocab.kinds[k.code] = k;
  for (const k of v.linkKinds) vocab.links[k.code] = k;
  for (const k of v.choices) vocab.choices[k.code] = k;
  for (const k of v.severities) vocab.severities[k.code] = k;
  vocab.severityOrder = v.severities.map((s) => s.code);
  vocab.rules = Object.fromEntries(v.rules.map((r) => [r.id, r]));
  for (const c of v.choiceSets) vocab.choiceSets[c.owner] = c.codes;
}

function pick(term, code) {
  if (!term) return code;
  return lang() === "en" ? term.en ?? code : term.zh;
}

export const label = {
  kind: (code) => pick(vocab.kinds[code], code),
  link: (code) => pick(vocab.links[code], code),
  choice: (code) => (code == null ? "" : pick(vocab.choices[code], code)),
  severity: (code) => pick(vocab.severities[code], code),
  rule: (id) => {
    const r = vocab.rules[id];
    return r ? `${id} ${lang() === "en" ? r.titleEn : r.titleZh}` : id;
  },
};

export function pct(ratio) {
  if (!ratio || ratio.rate == null) return "—";
  return `${(ratio.rate * 100).toFixed(1)}%`;
}
