"""Every model, imported once so the metadata (and Alembic) sees all tables."""
from venture.accounts.models import AccountToken, LoginSession, RecoveryCode, User
from venture.audit.models import AuditCheckpoint, AuditEvent
from venture.bodies.models import Organizer, OrganizingBody, PoolExpert
from venture.calls.models import Call, Criterion
from venture.comments.models import Comment, CommentReport, SensitiveWord
from venture.core.models import Base
from venture.core.ratelimit import RateLimitCounter
from venture.groups.models import Group, GroupMembership
from venture.invitations.models import Invitation
from venture.mail.models import OutboxMail
from venture.projects.models import (
    Agreement,
    BudgetChange,
    Evaluation,
    Evaluator,
    Milestone,
    ParticipationBar,
    Project,
    ProjectPlan,
    Report,
    ReportFile,
    ReportVersion,
    Tranche,
)
from venture.proposals.models import Attachment, Proposal, ProposalVersion, ReceiptCounter, StashedForm
from venture.results.models import ComponentScore, FundingAdjustment, Objection, ResultRecord
from venture.review.models import (
    Assignment,
    Conflict,
    DrawCommitment,
    OrganizerTie,
    PanelDraw,
    PanelMember,
    Review,
    ReviewVersion,
)
from venture.search.models import SearchQueue
from venture.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from venture.showcase.models import Support

metadata = Base.metadata

__all__ = [
    "AccountToken", "Attachment", "Call", "Criterion", "Proposal", "ProposalVersion", "ReceiptCounter",
    "StashedForm", "Comment", "CommentReport", "SensitiveWord", "SearchQueue", "Support", "AuditEvent", "Base", "Group", "GroupMembership", "Invitation", "LoginSession",
    "Organizer", "OrganizingBody", "OutboxMail", "PoolExpert", "User", "metadata",
    "Assignment", "Conflict", "DrawCommitment", "OrganizerTie", "PanelDraw", "PanelMember", "Review", "ReviewVersion",
    "ComponentScore", "FundingAdjustment", "Objection", "ResultRecord", "RecoveryCode",
    "AuditCheckpoint",
    "Agreement", "BudgetChange", "Evaluation", "Evaluator", "Milestone", "ParticipationBar", "Project", "ProjectPlan",
    "Report", "ReportFile", "ReportVersion", "Tranche",
    "RateLimitCounter",
    "Survey", "SurveyAnswer", "SurveyQuestion", "SurveyResponse",
]
