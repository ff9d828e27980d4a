"""The evaluation subgraph schema: Query and Mutation assembled from the features' fields
(in the order the API has always listed them), and the entity types evaluation extends:
``Person.performance`` and ``SupervisionItem.evaluation`` (ledger), ``Unit.evaluation``
(units)."""

from __future__ import annotations

import strawberry

from services.core.graphql import federation_schema
from services.core.graphql.dead_letters import dead_letter_graphql, dead_letter_id_formats
from services.evaluation.exemptions import graphql as exemptions
from services.evaluation.exports import graphql as exports
from services.evaluation.ledger import graphql as ledger
from services.evaluation.ledger.graphql import Person, SupervisionItem
from services.evaluation.periods import graphql as periods
from services.evaluation.rules import graphql as rules
from services.evaluation.units import graphql as units
from services.evaluation.units.graphql import Unit
from services.evaluation.updown import graphql as updown

DeadLetterQuery, DeadLetterMutation = dead_letter_graphql("evaluation")


@strawberry.type
class Query(DeadLetterQuery):  # type: ignore[valid-type,misc]
    my_performance = ledger.my_performance
    evaluation_periods = periods.evaluation_periods
    evaluation_rule_set = rules.evaluation_rule_set
    cadre_rankings = periods.cadre_rankings
    unit_rankings = units.unit_rankings
    exemption_case_types = exemptions.exemption_case_types
    exemptions = exemptions.exemptions
    evaluation_flags = updown.evaluation_flags
    rankings_export = exports.rankings_export
    bulletin_export = exports.bulletin_export


@strawberry.type
class Mutation(DeadLetterMutation):  # type: ignore[valid-type,misc]
    rule_set_update = rules.rule_set_update
    period_create = periods.period_create
    period_close = periods.period_close
    flags_evaluate = updown.flags_evaluate
    commendation_record = ledger.commendation_record
    selection_component_set = periods.selection_component_set
    unit_survey_set = units.unit_survey_set
    unit_veto_record = units.unit_veto_record
    exemption_request = exemptions.exemption_request
    exemption_decide = exemptions.exemption_decide
    exemption_revoke = exemptions.exemption_revoke


# Input length limits other than the default (services.core.graphql.inputs): names and the
# short keys that are stored in indexed columns.
MAX_LENGTHS: dict[str, int | None] = {
    "PeriodCreateInput.name": 100,
    "SelectionComponentSetInput.component": 50,
    "CommendationRecordInput.kind": 50,
    "ExemptionRequestInput.caseType": 50,
    "Query.cadreRankings(rankGroup:)": 50,
    "Query.cadreRankings(after:)": 200,
    "Query.unitRankings(category:)": 50,
    "Query.exemptions(state:)": 50,
}


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(
        query=Query,
        mutation=Mutation,
        types=[Person, Unit, SupervisionItem],
        max_lengths=MAX_LENGTHS,
        id_formats=dead_letter_id_formats("evaluation"),
    )
