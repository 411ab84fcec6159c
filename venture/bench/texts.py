"""Word material for the benchmark data set: proposal ideas, sentences for
sections, budget items and comments, in Chinese and English. Combined at
random (with a fixed seed) into texts of realistic length."""
from __future__ import annotations

DISTRICTS = ["天河区", "越秀区", "海珠区", "白云区", "荔湾区", "番禺区", "黄埔区", "花都区"]
DISTRICTS_EN = {"天河区": "Tianhe", "越秀区": "Yuexiu", "海珠区": "Haizhu", "白云区": "Baiyun",
                "荔湾区": "Liwan", "番禺区": "Panyu", "黄埔区": "Huangpu", "花都区": "Huadu"}
THEMES_SV = ["长者照护", "儿童与家庭", "残障支持", "社区治理", "青少年发展", "心理健康"]
THEMES_ML = ["邻里互助", "环境美化", "长者关爱", "文化活动", "儿童成长", "公共空间"]
COMMUNITIES = ["幸福里", "东风", "岭南", "南华", "龙洞", "棠下", "石牌", "沙河", "江南西", "新港",
               "三元里", "同和", "金沙", "华林", "桥南", "大石"]

# (Chinese title, Chinese summary, English title, English summary)
IDEAS = [
    ("长者饭堂送餐到家", "为行动不便的独居长者每天送一顿热饭，并借送餐探访了解其需要。",
     "Hot meals for older people living alone", "Daily hot lunches with a short visit to check on each person."),
    ("四点半课堂", "放学后为双职工家庭的孩子提供作业辅导和阅读陪伴。",
     "After-school homework club", "Homework help and reading for children of working parents until 6 pm."),
    ("无障碍出行陪伴", "志愿者陪伴轮椅使用者就医、购物，并记录社区无障碍设施的问题。",
     "Accessible outings with volunteers", "Volunteers accompany wheelchair users and map barriers nearby."),
    ("楼道花园", "把闲置楼道平台改造成居民共同照料的小花园。",
     "Stairwell gardens", "Residents turn unused landings into small shared gardens."),
    ("社区手语角", "每周一次手语学习和聋人居民交流活动。",
     "Community sign-language corner", "A weekly sign-language class and meet-up with Deaf neighbours."),
    ("认知症友好社区", "培训商户和志愿者识别并帮助认知症长者。",
     "Dementia-friendly streets", "Shopkeepers and volunteers learn to recognise and help people with dementia."),
    ("旧物修补站", "每月一次的修理日，志愿者帮居民修理小家电和衣物。",
     "Repair café", "A monthly repair day for small appliances and clothes."),
    ("新市民融入计划", "帮助新搬来的外来务工家庭认识社区资源。",
     "Welcome circle for newcomers", "Helping newly arrived families find their way around local services."),
    ("长者数字课堂", "教长者使用手机挂号、视频通话和识别诈骗。",
     "Smartphone classes for older people", "Booking appointments, video calls and spotting scams."),
    ("社区议事厅", "定期组织居民议事会，讨论并解决楼栋公共问题。",
     "Residents' forum", "Regular meetings where residents decide how to fix shared problems."),
    ("困境儿童成长陪伴", "社工和大学生志愿者结对陪伴困境儿童，每周家访一次。",
     "Mentoring for children in hardship", "Social workers and students visit and mentor children every week."),
    ("社区心理支持热线", "为居民提供情绪支持和转介服务，重点关注照顾者压力。",
     "Neighbourhood listening line", "Emotional support and referrals, with a focus on carers under strain."),
    ("垃圾分类督导员", "招募居民督导员在投放点引导分类，减少混投。",
     "Recycling guides", "Resident volunteers help neighbours sort waste at the collection points."),
    ("社区共享厨房", "开放共享厨房，组织长者与年轻家庭一起做饭聊天。",
     "Shared community kitchen", "Older people and young families cook and eat together twice a week."),
    ("残障青年就业实训", "与周边商户合作，为残障青年提供岗位实训和跟进辅导。",
     "Work placements for disabled young people", "Local shops host trainees, with a job coach following up."),
    ("社区图书漂流", "在楼栋设置图书角，组织亲子共读和读书分享会。",
     "Book swaps in every block", "Book corners in the stairwells and monthly family reading sessions."),
    ("城中村消防安全宣传", "入户排查电动车充电隐患，开展消防演练。",
     "Fire safety in the urban village", "Home visits on e-bike charging risks and fire drills with tenants."),
    ("独居长者平安铃", "为独居长者安装紧急呼叫设备，并组织邻里每日问候。",
     "Safety buttons for people living alone", "Emergency call buttons and a daily neighbour check-in."),
    ("社区运动角", "改造闲置空地为健身角，组织长者健步走和太极班。",
     "Neighbourhood exercise corner", "An unused lot becomes an exercise corner with walking and tai chi groups."),
    ("家庭照顾者喘息服务", "为长期照顾失能家人的照顾者提供短时替代照护。",
     "Respite for family carers", "Short breaks for people who care for a disabled or frail relative."),
]

SENTENCES_ZH = [
    "我们已在社区试点半年，十二名志愿者稳定参与，居民反馈良好。",
    "据街道二〇二五年的摸底调查，辖区内六十岁以上独居长者共有三百四十二人，其中行动不便者占三成。",
    "项目将与社区居委会、社区卫生服务中心和周边商户建立合作，确保服务可以持续。",
    "每月召开一次志愿者例会，复盘服务情况并调整下月计划。",
    "服务对象的满意度通过季度问卷和入户访谈收集，结果向居民公开。",
    "项目团队由两名持证社工、一名心理咨询师和二十名常驻志愿者组成。",
    "我们将建立服务台账，记录每一次服务的时间、内容和对象反馈。",
    "针对高龄长者，我们会安排固定的志愿者结对，减少陌生感。",
    "活动场地由社区党群服务中心免费提供，每周可使用三个半天。",
    "项目结束后，志愿者队伍将在社区登记备案，继续开展常态化服务。",
    "预计直接受益人数为四百人，间接受益的家庭成员约一千二百人。",
    "在疫情期间我们积累了线上服务的经验，可以在必要时切换为电话和视频服务。",
    "我们会邀请受益居民参与项目设计，使服务更贴近实际需要。",
    "项目的主要风险是志愿者流失，我们通过培训、激励和轮岗来降低这一风险。",
    "财务上实行专款专用，每笔支出保留凭证，按季度向资助方报告。",
    "第一阶段用两个月完成需求评估和志愿者招募，第二阶段开展常规服务。",
    "我们将与辖区学校合作，把服务延伸到学生家庭。",
    "对于有特殊需要的服务对象，社工会制定个别化服务计划。",
    "社区里目前缺少面向照顾者的支持服务，许多家庭长期处于疲惫状态。",
    "项目成果将通过社区公众号和宣传栏向居民展示，并接受居民监督。",
    "往年类似项目的经验表明，持续的面对面联系比一次性活动更有效。",
    "志愿者上岗前须完成八小时培训，内容包括沟通技巧、安全知识和隐私保护。",
    "我们计划在项目第六个月进行中期评估，邀请第三方专家参与。",
    "所有活动都考虑无障碍需要，场地设有坡道，资料提供大字版。",
    "居民提出的意见会在议事会上逐条回应，并在一周内公布处理结果。",
]

SENTENCES_EN = [
    "We have run a six-month pilot with twelve regular volunteers, and residents have welcomed it.",
    "The street office's 2025 survey counted 342 people over sixty living alone, a third of them with limited mobility.",
    "The project works with the residents' committee, the community health centre and local shops.",
    "Volunteers meet once a month to review the work and plan the next month.",
    "Satisfaction is measured every quarter with a short questionnaire and home interviews, and the results are published.",
    "The team is two qualified social workers, a counsellor and twenty regular volunteers.",
    "Every visit is logged with its date, what was done and what the person said about it.",
    "The oldest participants are paired with the same volunteer each week so they see a familiar face.",
    "The community centre lends us its hall for three half-days a week at no cost.",
    "When the grant ends the volunteer team will register with the community and carry on.",
    "We expect 400 people to benefit directly and about 1,200 family members indirectly.",
    "During the pandemic we learned to work by telephone and video, and can switch to that if needed.",
    "Residents who use the service help to design it, so it fits what they actually need.",
    "The main risk is losing volunteers; training, recognition and rotation reduce it.",
    "The grant is kept in a separate account, every expense has a receipt, and we report each quarter.",
    "The first two months are for the needs assessment and recruiting volunteers; regular service follows.",
    "We will work with the local schools to reach the families of their pupils.",
    "People with particular needs get an individual plan drawn up with a social worker.",
    "There is currently no support for family carers here, and many are exhausted.",
    "Results are shown on the community notice board and online, where residents can question them.",
    "Experience from similar projects shows that steady personal contact works better than one-off events.",
    "Volunteers complete eight hours of training on communication, safety and privacy before they start.",
    "An independent reviewer joins the mid-term evaluation in the sixth month.",
    "Every activity is accessible: the venue has ramps and all handouts come in large print.",
    "Suggestions from residents are answered item by item at the forum, with the outcome posted within a week.",
]

BUDGET_ITEMS_ZH = ["社工人员补贴", "志愿者交通与餐费补贴", "活动物资", "场地布置", "宣传印刷", "培训讲师费",
                   "专业督导费", "保险费", "设备购置", "评估费用", "办公耗材", "长者慰问品"]
BUDGET_ITEMS_EN = ["Social worker allowance", "Volunteer travel and meals", "Activity materials", "Venue set-up",
                   "Printing and publicity", "Trainer fees", "Professional supervision", "Insurance",
                   "Equipment", "Evaluation", "Office supplies", "Gifts for older participants"]

COMMENT_ZH = [
    "这个项目很有意义，我家老人就住在附近，希望能早点开展。",
    "请问志愿者怎么报名？我周末有空。",
    "预算里的场地费好像偏高，社区活动室不是免费的吗？",
    "支持！去年的试点我参加过，效果很好。",
    "建议把服务时间延长到晚上，上班族也能参与。",
    "能不能覆盖到隔壁的老旧小区？那边独居老人更多。",
    "希望项目结束后还能继续，不要做一年就停了。",
    "**很赞同**这个思路，关键是要有人长期跟进。",
    "我们楼栋也有类似需求，可以联系居委会对接。",
    "活动信息能不能也在业主群里发一下？",
]
COMMENT_EN = [
    "This is much needed; my parents live nearby and would use it.",
    "How do I sign up as a volunteer? I am free at weekends.",
    "The venue line in the budget looks high: isn't the community hall free?",
    "I took part in last year's pilot and it worked well.",
    "Could the sessions run in the evening too, for people who work?",
    "Please extend it to the older estates next door, where more people live alone.",
    "I hope this carries on after the first year.",
    "**Strongly agree** with the approach; what matters is someone following up over time.",
]
COMMENT_EXTRA = [
    "\n\n- 时间：每周六上午\n- 地点：社区活动中心",
    "\n\n> 引用：项目结束后，志愿者队伍将在社区登记备案。",
    "\n\n详情见 https://example.org/community/notice",
    "\n\n1. 先做需求调查\n2. 再定服务内容",
    "\n\nSee https://example.org/report for last year's figures.",
]

# The review stage ----------------------------------------------------------------------------
# Reasons a reviewer writes for a score, by criterion (its name in the seeded
# rubrics) and by how well the proposal did on it: "high", "mid" or "low".
REASONS_ZH = {
    "需求分析": {
        "high": ["需求调研扎实，引用了街道摸底数据和入户访谈记录，服务对象和人数都说得清楚。",
                 "对独居长者和照顾者的需要分析细致，问题与服务之间的对应关系明确。"],
        "mid": ["需求有一定依据，但数据较旧，建议补充近一年的走访或问卷结果。",
                "目标人群大致清楚，但没有说明为什么优先服务这一群体。"],
        "low": ["需求主要凭经验描述，缺少数据或访谈支撑，难以判断问题的规模。",
                "申报书没有说明服务对象是谁、有多少人，需求分析过于笼统。"],
    },
    "服务设计": {
        "high": ["活动安排具体，频次、地点和负责人都写明了，与需求分析一一对应。",
                 "服务流程设计完整，有转介和个案跟进机制，考虑到了行动不便的服务对象。"],
        "mid": ["服务内容可行，但各阶段的时间安排偏紧，志愿者排班需要再细化。",
                "活动较多但重点不够突出，建议集中在两到三项核心服务上。"],
        "low": ["服务内容与需求分析关系不大，多为一次性活动，难以产生持续效果。",
                "缺少具体的执行计划，看不出每个月要做什么、由谁来做。"],
    },
    "团队能力": {
        "high": ["团队有持证社工和稳定的志愿者队伍，过往同类项目执行情况良好。",
                 "负责人有多年社区服务经验，分工明确，督导安排到位。"],
        "mid": ["团队有一定经验，但主要依靠兼职人员，建议说明人员流动时的替补安排。",
                "志愿者数量充足，但专业人员偏少，个案服务部分可能力不从心。"],
        "low": ["团队成员大多没有相关服务经验，也没有说明如何培训和督导。",
                "申报书未列出团队成员的资质和分工，无法判断执行能力。"],
    },
    "预算合理性": {
        "high": ["预算编制细致，单价有依据，各项支出与活动计划相符，人员费用占比合理。",
                 "预算清楚合理，物资采购有询价说明，没有明显的虚高项目。"],
        "mid": ["预算总体合理，但宣传印刷和场地布置费用偏高，建议压缩。",
                "部分预算科目没有写明单价和数量的依据，需要补充说明。"],
        "low": ["人员补贴占预算比例过高，活动物资经费明显不足，预算与计划不匹配。",
                "预算中有多项笼统的“其他费用”，无法核实用途。"],
    },
    "可持续性": {
        "high": ["项目结束后志愿者队伍将在社区备案，并已与居委会约定场地长期使用，可持续性好。",
                 "已规划与社区基金和辖区企业合作，资助结束后仍有资金和人力来源。"],
        "mid": ["提到了后续打算，但没有具体的资金或人员安排。",
                "可持续性主要依赖再次申请资助，建议培养居民骨干接手。"],
        "low": ["申报书没有谈及资助结束后的安排，服务很可能随项目结束而中止。",
                "项目高度依赖外部资金，看不到可持续的机制。"],
    },
    "问题是否真实": {
        "high": ["问题来自居民议事会的提议，附有照片和居民联名，真实且迫切。",
                 "楼道堆物和照明问题是居民反映最多的，申报团队做了实地记录。"],
        "mid": ["问题存在，但影响范围较小，建议说明受影响的住户数量。",
                "问题描述基本清楚，但缺少居民意见的收集过程。"],
        "low": ["问题描述较为空泛，看不出是居民的实际困难。",
                "所述问题已有物业或街道在处理，本项目的必要性不足。"],
    },
    "方案可行": {
        "high": ["方案简单易行，材料和人手都已落实，两个月内可以完成。",
                 "方案步骤清楚，已征得物业和居委会同意，风险考虑周全。"],
        "mid": ["方案基本可行，但没有说明施工或活动期间的安全措施。",
                "时间安排偏乐观，建议预留雨季或节假日的调整余地。"],
        "low": ["方案依赖尚未谈妥的场地，执行存在较大不确定性。",
                "方案步骤不清楚，预算与要做的事对不上。"],
    },
    "居民参与": {
        "high": ["居民从提出问题到实施都深度参与，已有二十多户报名当志愿者。",
                 "设计了居民议事和验收环节，参与面广，老人和孩子都有份。"],
        "mid": ["有居民参与，但主要是少数骨干，建议扩大到更多楼栋。",
                "居民参与停留在参加活动层面，决策环节参与不足。"],
        "low": ["方案由团队单方面制定，没有体现居民的参与。",
                "看不出居民如何参与，更像是为居民办活动而不是和居民一起做。"],
    },
}
# The same in English (a fifth of the reviewers write in English): one per criterion and level.
REASONS_EN = {
    "需求分析": {"high": "The need is well documented with recent survey figures and home visits.",
                 "mid": "The need is plausible, but the figures are old and the target group is loosely drawn.",
                 "low": "The need is asserted, not shown: no figures, no interviews, no numbers of people."},
    "服务设计": {"high": "Activities are concrete, with dates, places and named leads, and each answers the need.",
                 "mid": "Workable, but the timetable is tight and the volunteer rota needs more detail.",
                 "low": "Mostly one-off events with little link to the problem described."},
    "团队能力": {"high": "Qualified social workers and a steady volunteer team; similar projects went well.",
                 "mid": "Some experience, but the team relies on part-timers with no cover planned.",
                 "low": "The proposal does not say who does what or what experience they have."},
    "预算合理性": {"high": "Budget lines are costed with quotes and match the planned activities closely.",
                   "mid": "Broadly reasonable; printing and venue costs look high and some lines lack unit costs.",
                   "low": "Staff costs take most of the budget and materials are underfunded."},
    "可持续性": {"high": "Volunteers will be registered with the community and the venue is agreed for years.",
                 "mid": "Follow-up after the grant is mentioned but not planned in any detail.",
                 "low": "There is no plan for what happens when the grant ends."},
    "问题是否真实": {"high": "Raised at the residents' meeting, with photos and signatures: real and urgent.",
                     "mid": "A real problem, but few households seem affected; say how many.",
                     "low": "The problem is described vaguely and may already be handled by the property manager."},
    "方案可行": {"high": "Simple and practical; materials and helpers are lined up and permission is given.",
                 "mid": "Feasible, but safety during the works is not addressed.",
                 "low": "Depends on a venue that is not agreed yet; the steps do not match the budget."},
    "居民参与": {"high": "Residents shaped the plan from the start and more than twenty households signed up.",
                 "mid": "A few active residents take part; reach out to more blocks.",
                 "low": "Planned for residents rather than with them; no sign of their say in decisions."},
}
REVIEW_COMMENTS_ZH = ["方案总体清楚，建议补充风险应对和志愿者的培训安排。",
                      "项目贴近居民需要，预算可以再精简一些。",
                      "建议加强与居委会、社区卫生服务中心的合作，扩大受益面。",
                      "需求分析扎实，希望执行中做好服务记录，便于评估成效。",
                      "建议明确项目结束后的接续安排，培养居民骨干。",
                      "活动设计有新意，注意控制单次活动的人数，保证服务质量。"]
REVIEW_COMMENTS_EN = ["A solid plan; please show how volunteers are recruited and trained.",
                      "Close to residents' needs; the budget could be trimmed in places.",
                      "Consider partnering with the residents' committee to reach more households."]
ORGANIZER_NOTES = ["预算中的人员补贴请核实。", "与同街道另一项目内容相近，建议统筹。",
                   "Please check the venue agreement before funding."]
ELIGIBLE_REASON = "符合申报条件，材料齐全。/ Meets every published condition."
INELIGIBLE_REASONS = ["申报金额超出本期资助上限。/ The request is above this call's ceiling.",
                      "服务地点不在本期资助的辖区内。/ The project is outside the call's districts.",
                      "缺少居委会备案证明。/ No proof of filing with the residents' committee.",
                      "同一项目已获其他财政资金资助。/ Already funded from another public grant."]
