"""GraphQL documents and helpers for lifecycle tests (in-process and e2e)."""

from __future__ import annotations

from typing import Any

from tests.support.servers import GraphQLClient

ITEM_FIELDS = """id code state version deadline originalDeadline
  assignments { unitId role state percent lastReportAt signedAt completedAt returnedReason
    endedReason transferredToUnitId }"""
RESULT = (
    "__typename ... on UserError { code message field }"
    " ... on InvalidTransitionError { currentState }"
)

MUTATIONS: dict[str, tuple[str, str]] = {
    # name: (input type, extra selection on success)
    "assignmentSign": ("AssignmentInput", ""),
    "assignmentReturn": ("AssignmentInput", ""),
    "assignmentReassign": ("AssignmentInput", ""),
    "itemReportProgress": ("ItemReportProgressInput", "report { id percent }"),
    "completionRequest": ("CompletionRequestInput", ""),
    "completionVerify": ("CompletionDecisionInput", "verification { id approved onSite }"),
    "completionSendBack": ("CompletionDecisionInput", "verification { id approved }"),
    "reportVerify": ("ReportVerifyInput", "report { id }"),
    "extensionRequest": ("ExtensionRequestInput", "extension { id state newDeadline }"),
    "extensionDecide": ("ExtensionDecideInput", "extension { id state }"),
    "itemSuspend": ("ItemReasonInput", ""),
    "itemResume": ("ItemReasonInput", ""),
    "itemCancel": ("ItemReasonInput", ""),
    "instructionAdd": ("InstructionAddInput", ""),
    "itemChase": ("ItemChaseInput", ""),
    "itemUpdate": ("ItemUpdateInput", ""),
    "itemTransfer": ("ItemTransferInput", ""),
    "itemDeadlineReset": ("ItemDeadlineResetInput", "deadlineReset { id oldDeadline newDeadline }"),
    "instructionRecord": ("InstructionRecordInput", "instruction { id leaderId enteredBy }"),
    "instructionConfirm": ("InstructionConfirmInput", "instruction { id confirmedAt }"),
}


def mutation_document(name: str) -> str:
    input_type, extra = MUTATIONS[name]
    success = "ExtensionSuccess" if name.startswith("extension") else None
    return (
        f"mutation ($i: {input_type}!) {{ {name}(input: $i) {{ {RESULT}"
        f" ... on {success or '__SUCCESS__'} {{ item {{ {ITEM_FIELDS} }} {extra} }} }} }}"
    )


SUCCESS_TYPES = {
    "itemReportProgress": "ItemReportProgressSuccess",
    "reportVerify": "ItemReportProgressSuccess",
    "completionVerify": "CompletionDecisionSuccess",
    "completionSendBack": "CompletionDecisionSuccess",
    "extensionRequest": "ExtensionSuccess",
    "extensionDecide": "ExtensionSuccess",
    "itemUpdate": "ItemMoveSuccess",
    "itemTransfer": "ItemMoveSuccess",
    "itemDeadlineReset": "ItemDeadlineResetSuccess",
    "instructionRecord": "InstructionSuccess",
    "instructionConfirm": "InstructionSuccess",
}


def document(name: str) -> str:
    return mutation_document(name).replace(
        "__SUCCESS__", SUCCESS_TYPES.get(name, "ItemChangeSuccess")
    )


async def call(client: GraphQLClient, name: str, **input: Any) -> dict[str, Any]:
    """Run a lifecycle mutation; returns its result object (raises on top-level errors)."""
    data = await client(document(name), {"i": input})
    return data[name]  # type: ignore[no-any-return]


async def call_raw(client: GraphQLClient, name: str, **input: Any) -> dict[str, Any]:
    """The whole response body (top-level errors included)."""
    return await client.raw(document(name), {"i": input})


DETAIL = f"""query ($id: ID!) {{ item(id: $id) {{ {ITEM_FIELDS} title
  reports {{ id unitId percent narrative problems nextSteps decreaseReason verificationResult }}
  verifications {{ unitId approved note onSite inspection {{ place findings }} }}
  extensions {{ id state newDeadline oldDeadline reason }}
  instructions {{ id content leaderId enteredBy instructedOn confirmedAt leader {{ name }} }}
  deadlineResets {{ oldDeadline newDeadline reason leaderId }}
  chases {{ unitId note }}
  auditTrail {{ action actorId subjectType before after }} }} }}"""
