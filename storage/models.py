"""Imports every domain's tables so that Alembic and tests see the whole schema."""

from accounts import models as accounts_models
from alarms import models as alarms_models
from alerts import models as alerts_models
from areas import models as areas_models
from backups import models as backups_models
from callcenter import models as callcenter_models
from callcenter.knowledge import models as knowledge_models
from callcenter.recordings import models as recordings_models
from callcenter.routing import models as routing_models
from cluster import models as cluster_models
from devices import models as devices_models
from dispatch import models as dispatch_models
from incidents import models as incidents_models
from liveness import models as liveness_models
from messaging import models as messaging_models
from retention import models as retention_models
from seniors import models as seniors_models

DOMAIN_MODELS = (accounts_models, alarms_models, alerts_models, callcenter_models, knowledge_models,
                 areas_models, routing_models, cluster_models, devices_models, dispatch_models,
                 liveness_models, seniors_models, incidents_models, messaging_models,
                 recordings_models, retention_models, backups_models)
