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
