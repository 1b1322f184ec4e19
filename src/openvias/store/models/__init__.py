"""ORM models, one module per aggregate; imported here so metadata is complete."""

from openvias.store.models.algorithms import AlgorithmDeployment, ResourceOrder
from openvias.store.models.changes import ChangeCounter
from openvias.store.models.delivery import Delivery, DeliveryAttempt
from openvias.store.models.engine import AlarmEvent, AlarmImage, StreamLease
from openvias.store.models.evaluations import Evaluation
from openvias.store.models.event_rules import EventRules
from openvias.store.models.identity import AccessKey, Domain, Grant, Project, Token, User
from openvias.store.models.tasks import BatchTask, BatchTaskGroup, OutboxMessage, Task, TaskTemplate
from openvias.store.models.video import VideoGroup, VideoGroupMember, VideoSource
from openvias.store.models.workers import EdgePool, EngineWorker

__all__ = [
    "AccessKey",
    "AlarmEvent",
    "AlarmImage",
    "AlgorithmDeployment",
    "BatchTask",
    "BatchTaskGroup",
    "ChangeCounter",
    "Delivery",
    "DeliveryAttempt",
    "Domain",
    "EdgePool",
    "EngineWorker",
    "Evaluation",
    "EventRules",
    "Grant",
    "OutboxMessage",
    "Project",
    "ResourceOrder",
    "StreamLease",
    "Task",
    "TaskTemplate",
    "Token",
    "User",
    "VideoGroup",
    "VideoGroupMember",
    "VideoSource",
]
