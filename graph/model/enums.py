"""Enumerations of the domain, each member with its Simplified Chinese and English label."""

from __future__ import annotations

from graph.model.base import LabelledEnum


class AreaLevel(LabelledEnum):
    PROVINCE = ("province", "省级", "Province")
    PREFECTURE = ("prefecture", "地市级", "Prefecture")
    COUNTY = ("county", "区县", "County/district")
    TOWNSHIP = ("township", "乡镇/街道", "Township/street")
    VILLAGE = ("village", "村/社区", "Village/community")
    GRID = ("grid", "网格", "Grid")


class TargetGroup(LabelledEnum):
    """Target groups of layered, classified assistance (分层分类)."""

    DIBAO = ("dibao", "低保对象", "Minimum living guarantee recipient")
    TEKUN = ("tekun", "特困人员", "Extreme-poverty supported person")
    DIBAO_EDGE = ("dibao_edge", "低保边缘家庭", "Marginal household above the guarantee line")
    RIGID_EXPENDITURE = ("rigid_expenditure", "刚性支出困难家庭", "Hardship from rigid expenditure")
    UNSTABLE_LIFTED = ("unstable_lifted", "脱贫不稳定户", "Unstable lifted-out household")
    EDGE_AT_RISK = ("edge_at_risk", "边缘易致贫户", "Edge household at risk of poverty")
    SUDDEN_HARDSHIP = ("sudden_hardship", "突发严重困难户", "Household in sudden severe hardship")
    LEFT_DIBAO_RECENT = ("left_dibao_recent", "退出低保不满两年", "Left the guarantee < 2 years ago")
    DISABLED = ("disabled", "残疾人", "Disabled person")
    ORPHAN = ("orphan", "孤儿", "Orphan")
    UNSUPPORTED_CHILD = ("unsupported_child", "事实无人抚养儿童", "De-facto unsupported child")


# The three groups of the anti-return-to-poverty monitoring objects (防止返贫监测对象).
MONITORING_GROUPS = frozenset(
    {TargetGroup.UNSTABLE_LIFTED, TargetGroup.EDGE_AT_RISK, TargetGroup.SUDDEN_HARDSHIP}
)


class Sex(LabelledEnum):
    MALE = ("male", "男", "Male")
    FEMALE = ("female", "女", "Female")


class RelationToHead(LabelledEnum):
    HEAD = ("head", "户主", "Head of household")
    SPOUSE = ("spouse", "配偶", "Spouse")
    CHILD = ("child", "子女", "Child")
    CHILD_IN_LAW = ("child_in_law", "儿媳/女婿", "Child-in-law")
    PARENT = ("parent", "父母", "Parent")
    GRANDPARENT = ("grandparent", "祖父母/外祖父母", "Grandparent")
    GRANDCHILD = ("grandchild", "孙子女/外孙子女", "Grandchild")
    SIBLING = ("sibling", "兄弟姐妹", "Sibling")
    OTHER = ("other", "其他", "Other")


class DisabilityKind(LabelledEnum):
    VISUAL = ("visual", "视力残疾", "Visual")
    HEARING = ("hearing", "听力残疾", "Hearing")
    SPEECH = ("speech", "言语残疾", "Speech")
    PHYSICAL = ("physical", "肢体残疾", "Physical")
    INTELLECTUAL = ("intellectual", "智力残疾", "Intellectual")
    MENTAL = ("mental", "精神残疾", "Mental")
    MULTIPLE = ("multiple", "多重残疾", "Multiple")


class HealthStatus(LabelledEnum):
    HEALTHY = ("healthy", "健康", "Healthy")
    CHRONIC = ("chronic", "长期慢性病", "Chronic illness")
    SERIOUS = ("serious", "大病", "Serious illness")


class LabourAbility(LabelledEnum):
    FULL = ("full", "有劳动能力", "Able to work")
    WEAK = ("weak", "弱劳动能力", "Weak labour ability")
    NONE = ("none", "无劳动能力", "No labour ability")
    LOST = ("lost", "丧失劳动能力", "Lost labour ability")


class SchoolingStage(LabelledEnum):
    NOT_SCHOOL_AGE = ("not_school_age", "学龄前", "Below school age")
    PRIMARY = ("primary", "小学", "Primary school")
    JUNIOR = ("junior", "初中", "Junior secondary")
    SENIOR = ("senior", "高中", "Senior secondary")
    VOCATIONAL = ("vocational", "中职/高职", "Vocational school")
    UNDERGRADUATE = ("undergraduate", "大专/本科", "College or bachelor")
    POSTGRADUATE = ("postgraduate", "研究生", "Postgraduate")
    LEFT_SCHOOL = ("left_school", "辍学", "Left school early")
    NOT_IN_SCHOOL = ("not_in_school", "不在学", "Not in school")


class SourceSystem(LabelledEnum):
    """Where a record came from (对象来源)."""

    CIVIL_AFFAIRS = ("civil_affairs", "民政低收入人口动态监测平台", "Civil affairs low-income platform")
    RURAL_REVITALISATION = ("rural_revitalisation", "防止返贫监测系统", "Anti-return-to-poverty system")
    MEDICAL_INSURANCE = ("medical_insurance", "医保部门", "Medical insurance")
    EDUCATION = ("education", "教育部门", "Education")
    DISABILITY_FEDERATION = ("disability_federation", "残联", "Disabled persons' federation")
    HUMAN_RESOURCES = ("human_resources", "人社部门", "Human resources")
    HOUSING = ("housing", "住建部门", "Housing")
    GRID_VISIT = ("grid_visit", "网格走访", "Grid visit")
    SELF_APPLICATION = ("self_application", "线上自助申报", "Online self-application")
    MANUAL = ("manual", "人工录入", "Manual entry")


class Department(LabelledEnum):
    CIVIL_AFFAIRS = ("civil_affairs", "民政", "Civil affairs")
    EDUCATION = ("education", "教育", "Education")
    HUMAN_RESOURCES = ("human_resources", "人社", "Human resources and social security")
    HOUSING = ("housing", "住建", "Housing and urban-rural development")
    AGRICULTURE = ("agriculture", "农业农村(乡村振兴)", "Agriculture and rural affairs")
    HEALTH = ("health", "卫健", "Health")
    EMERGENCY = ("emergency", "应急管理", "Emergency management")
    MEDICAL_INSURANCE = ("medical_insurance", "医保", "Medical insurance")
    DISABILITY = ("disability", "残联", "Disabled persons' federation")
    TRADE_UNION = ("trade_union", "工会", "Trade union")
    WOMEN = ("women", "妇联", "Women's federation")
    YOUTH = ("youth", "共青团", "Communist Youth League")
    FINANCE = ("finance", "财政", "Finance")
    JUSTICE = ("justice", "司法", "Justice")
    VETERANS = ("veterans", "退役军人事务", "Veterans affairs")
    WATER = ("water", "水利", "Water resources")
    NATURAL_RESOURCES = ("natural_resources", "自然资源", "Natural resources")


class OrganisationKind(LabelledEnum):
    DEPARTMENT = ("department", "政府部门", "Government department")
    CHARITY = ("charity", "慈善组织", "Charity")
    SOCIAL_WORK = ("social_work", "社工机构", "Social-work organisation")
    ENTERPRISE = ("enterprise", "企业", "Enterprise")
    VOLUNTEER_TEAM = ("volunteer_team", "志愿者队伍", "Volunteer team")
    COMMUNITY = ("community", "村(居)委会", "Village or community committee")


class AllianceLevel(LabelledEnum):
    """The three levels of the assistance alliance (三级助联体)."""

    COUNTY = ("county", "区县助联体", "County alliance")
    TOWNSHIP = ("township", "镇街助联体", "Township alliance")
    VILLAGE = ("village", "村社助联体", "Village alliance")


class ResourceKind(LabelledEnum):
    POLICY = ("policy", "政策", "Policy measure")
    SERVICE = ("service", "服务项目", "Service project")
    JOB = ("job", "就业岗位", "Job")
    TRAINING = ("training", "技能培训", "Training place")
    VOLUNTEER = ("volunteer", "志愿服务", "Volunteer service")
    DONATION = ("donation", "社会捐赠", "Donation")


class AssistanceKind(LabelledEnum):
    """The five kinds of government assistance."""

    BASIC_LIVING = ("basic_living", "基本生活救助", "Basic living assistance")
    SPECIAL = ("special", "专项救助", "Special assistance")
    EMERGENCY = ("emergency", "急难/临时救助", "Emergency or temporary assistance")
    SERVICE = ("service", "服务类救助", "Service-type assistance")
    OTHER = ("other", "其他帮扶", "Other support")


class NeedType(LabelledEnum):
    BASIC_LIVING = ("basic_living", "基本生活", "Basic living")
    MEDICAL = ("medical", "医疗", "Medical")
    EDUCATION = ("education", "教育", "Education")
    HOUSING = ("housing", "住房", "Housing")
    EMPLOYMENT = ("employment", "就业", "Employment")
    DISASTER = ("disaster", "受灾", "Disaster")
    TEMPORARY = ("temporary", "临时困难", "Temporary hardship")
    CARE = ("care", "照护", "Care")
    PSYCHOLOGICAL = ("psychological", "心理支持", "Psychological support")
    SOCIAL_INTEGRATION = ("social_integration", "社会融入", "Social integration")


class Urgency(LabelledEnum):
    URGENT = ("urgent", "紧急", "Urgent")
    GENERAL = ("general", "一般", "General")


class NeedChannel(LabelledEnum):
    HOME_VISIT = ("home_visit", "入户走访", "Home visit")
    SELF_APPLICATION = ("self_application", "线上自助申报", "Online self-application")
    DEPARTMENT_PUSH = ("department_push", "部门推送", "Department push")
    WARNING = ("warning", "预警", "Warning")


class NeedStatus(LabelledEnum):
    OPEN = ("open", "待处理", "Open")
    REFERRED = ("referred", "已转介", "Referred")
    MET = ("met", "已满足", "Met")
    UNMET = ("unmet", "无法满足", "Could not be met")
    WITHDRAWN = ("withdrawn", "已撤销", "Withdrawn")


class EventType(LabelledEnum):
    SERIOUS_ILLNESS = ("serious_illness", "患大病", "Serious illness")
    DISABILITY_CHANGE = ("disability_change", "残疾等级变化", "Disability grade change")
    DEATH = ("death", "家庭成员死亡", "Death of a member")
    MEDICAL_SELFPAY = ("medical_selfpay", "医疗自付费用高", "Large medical self-payment")
    JOB_LOSS = ("job_loss", "失业", "Job loss")
    DISASTER = ("disaster", "受灾", "Disaster")
    SCHOOL_DROPOUT = ("school_dropout", "子女辍学", "Child left school")
    INCOME_CHANGE = ("income_change", "收入变化", "Income change")
    HOUSEHOLD_CHANGE = ("household_change", "家庭成员变动", "Change of household members")
    OTHER = ("other", "其他", "Other")


class WarningStatus(LabelledEnum):
    OPEN = ("open", "待核查", "Awaiting verification")
    VERIFYING = ("verifying", "核查中", "Being verified")
    CONFIRMED = ("confirmed", "已核实", "Confirmed")
    DISMISSED = ("dismissed", "已排除", "Dismissed")
    CLOSED = ("closed", "已办结", "Closed")


class ReferralTrack(LabelledEnum):
    """Which road a referral takes (DOMAIN.md section 7)."""

    JOINT_HANDLING = ("joint_handling", "一件事联办", "Joint handling of guarantee-type assistance")
    ALLIANCE = ("alliance", "助联体转介", "Referral through the assistance alliance")


class ReferralStatus(LabelledEnum):
    ACTIVE = ("active", "进行中", "Active")
    COMPLETED = ("completed", "已办结", "Completed")
    CANCELLED = ("cancelled", "已取消", "Cancelled")


class HopStatus(LabelledEnum):
    """Status of one hop of a referral, from the FHIR Task vocabulary."""

    DRAFT = ("draft", "草稿", "Draft")
    REQUESTED = ("requested", "已派单", "Requested")
    RECEIVED = ("received", "已接收", "Received")
    ACCEPTED = ("accepted", "已受理", "Accepted")
    REJECTED = ("rejected", "已退回", "Rejected")
    READY = ("ready", "待认领", "Ready to claim")
    CANCELLED = ("cancelled", "已取消", "Cancelled")
    IN_PROGRESS = ("in-progress", "办理中", "In progress")
    ON_HOLD = ("on-hold", "暂停", "On hold")
    FAILED = ("failed", "失败", "Failed")
    COMPLETED = ("completed", "已完成", "Completed")
    ENTERED_IN_ERROR = ("entered-in-error", "录入错误", "Entered in error")


class HopReason(LabelledEnum):
    """Why a hop was rejected, failed, reopened or taken back (the case returns to the sender)."""

    NO_CAPACITY = ("no_capacity", "无力承接", "No capacity left")
    UNREACHABLE = ("unreachable", "联系不上", "Could not contact the household")
    NOT_ELIGIBLE = ("not_eligible", "不符合条件", "Not eligible")
    OUT_OF_AREA = ("out_of_area", "不在服务范围", "Outside the service area")
    DECLINED = ("declined", "家庭拒绝", "The household declined")
    DUPLICATE = ("duplicate", "重复", "Duplicate")
    NOT_STARTED = ("not_started", "逾期未开始", "Not started before the deadline")
    INCOMPLETE = ("incomplete", "办理不到位", "Not delivered as needed")
    OTHER = ("other", "其他", "Other")


class DeliveryKind(LabelledEnum):
    """What a provider delivered."""

    CASH = ("cash", "现金", "Cash")
    GOODS = ("goods", "实物", "Goods")
    SERVICE = ("service", "服务", "Service")
    JOB = ("job", "就业岗位", "Job placement")
    TRAINING = ("training", "培训", "Training")
    POLICY = ("policy", "政策落实", "Policy benefit granted")
    OTHER = ("other", "其他", "Other")


class NotificationKind(LabelledEnum):
    """Why an in-app notification was sent."""

    TASK_ASSIGNED = ("task_assigned", "新任务", "A task was assigned")
    TASK_RETURNED = ("task_returned", "任务退回", "A task came back with a reason")
    ESCALATED = ("escalated", "超时升级", "An overdue task was escalated")
    RETURNED_TO_POOL = ("returned_to_pool", "退回任务池", "A claimed task went back to the pool")
    GIVEN_BACK = ("given_back", "交回任务池", "A claimed task was given back to the pool")
    VERIFY_REQUESTED = ("verify_requested", "待核验", "A completed task awaits verification")


class OutcomeResult(LabelledEnum):
    RESOLVED = ("resolved", "已解决", "Resolved")
    PARTIAL = ("partial", "部分解决", "Partly resolved")
    UNRESOLVED = ("unresolved", "未解决", "Unresolved")
    NEEDS_ADJUSTMENT = ("needs_adjustment", "需调整方案", "Plan needs adjustment")


class Role(LabelledEnum):
    COUNTY_COORDINATOR = ("county_coordinator", "区县协调员", "County coordinator")
    TOWNSHIP_OFFICER = ("township_officer", "镇街社会救助专干", "Township officer")
    VILLAGE_WORKER = ("village_worker", "村社网格员/协理员", "Village or grid worker")
    DEPARTMENT_LIAISON = ("department_liaison", "部门联络员", "Department liaison")
    PROVIDER = ("provider", "服务机构", "Charity or social-work provider")
    SOCIAL_WORKER = ("social_worker", "社工", "Social worker")
    AUDITOR = ("auditor", "绩效考核/监督", "Auditor")
    ADMIN = ("admin", "系统管理员", "Administrator")


class PiiScope(LabelledEnum):
    """Kinds of private data a consent can open to an organisation."""

    NAME = ("name", "姓名", "Full name")
    ID_NUMBER = ("id_number", "身份证号", "ID number")
    PHONE = ("phone", "电话", "Phone")
    ADDRESS = ("address", "详细地址", "Exact address")
    HEALTH = ("health", "健康状况", "Health")
    INCOME = ("income", "收入与财产", "Income and property")


class IdNumberIssue(LabelledEnum):
    """Why an ID number as given is not usable as a key."""

    LENGTH = ("length", "位数错误", "Wrong length")
    FORMAT = ("format", "格式错误", "Wrong format")
    CHECKSUM = ("checksum", "校验位错误", "Wrong check digit")
    BIRTH_DATE = ("birth_date", "出生日期无效", "Invalid birth date")
    REGION = ("region", "地区码无效", "Unknown region code")


class KinRelation(LabelledEnum):
    SPOUSE = ("spouse", "配偶", "Spouse")
    PARENT = ("parent", "父母", "Parent")
    CHILD = ("child", "子女", "Child")
    SIBLING = ("sibling", "兄弟姐妹", "Sibling")
    GRANDPARENT = ("grandparent", "祖辈", "Grandparent")
    GRANDCHILD = ("grandchild", "孙辈", "Grandchild")
    OTHER_RELATIVE = ("other_relative", "其他亲属", "Other relative")


class SupportKind(LabelledEnum):
    """Kinds of support ties (帮扶)."""

    CADRE_PAIRING = ("cadre_pairing", "干部结对帮扶", "Cadre pairing")
    VOLUNTEER = ("volunteer", "志愿者帮扶", "Volunteer")
    RELATIVE = ("relative", "亲属照料", "Relative's care")
    NEIGHBOUR = ("neighbour", "邻里互助", "Neighbour help")
    ORGANISATION = ("organisation", "机构帮扶", "Organisation")


class ImportStatus(LabelledEnum):
    """Where an import of one file stands (两库合并)."""

    QUEUED = ("queued", "排队中", "Queued")
    STAGING = ("staging", "读取中", "Reading rows")
    LINKING = ("linking", "比对合并中", "Linking records")
    DONE = ("done", "已完成", "Done")
    FAILED = ("failed", "失败", "Failed")


class RecordStatus(LabelledEnum):
    """What became of one input row."""

    STAGED = ("staged", "待比对", "Read, not yet linked")
    LINKED = ("linked", "已合并", "Linked into the registry")
    IN_REVIEW = ("in_review", "待人工复核", "Waiting for review")
    REJECTED = ("rejected", "无法使用", "Rejected")


class LinkMethod(LabelledEnum):
    """How a source record was linked to a registry person."""

    EXACT_ID = ("exact_id", "身份证号精确匹配", "Exact ID number")
    PROBABILISTIC = ("probabilistic", "姓名出生日期等概率匹配", "Name, birth date, sex and village")
    HOUSEHOLD = ("household", "同户成员推断", "Through the household's other members")
    REVIEWER = ("reviewer", "人工复核合并", "A reviewer's decision")
    NEW = ("new", "新增人员", "New person")


class ReviewStatus(LabelledEnum):
    """A pair of records waiting for a reviewer, or the reviewer's decision."""

    OPEN = ("open", "待复核", "Waiting for review")
    MERGED = ("merged", "确认同一人", "Same person: merged")
    KEPT_APART = ("kept_apart", "确认不同人", "Different persons: kept apart")
