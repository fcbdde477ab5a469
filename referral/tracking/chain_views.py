"""A loaded chain turned into what the trace shows: a timeline of events and a graph for a graph view.

Pure functions of the loaded nodes (no store access), so the trace service decides only what is
loaded and visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graph.model import (
    AllianceBody,
    Delivery,
    Household,
    Need,
    NeedReport,
    Organisation,
    Outcome,
    Referral,
    ReferralHop,
    Resource,
    StatusChange,
)
from graph.model.enums import HopStatus, NeedStatus, ReferralStatus
from referral.tracking.lateness import completed_late, is_overdue, late_hours, started_at
from referral.tracking.models import EventKind, TraceEdge, TraceEvent, TraceGraph, TraceNode

POOL_LABEL = "Pool"
_STATUS_ENUMS: dict[str, type[HopStatus] | type[NeedStatus] | type[ReferralStatus]] = {
    "ReferralHop": HopStatus,
    "Need": NeedStatus,
    "Referral": ReferralStatus,
}


@dataclass
class ChainParts:
    """Everything of a chain the caller may see, loaded."""

    household: Household
    needs: list[Need]
    reports: list[NeedReport]
    referrals: list[Referral]
    hops: list[ReferralHop]
    changes: list[StatusChange]
    deliveries: list[Delivery]
    outcomes: list[Outcome]
    resources: dict[str, Resource]
    senders: dict[str, tuple[str, str]]  # hop id -> (label, key) of who sent it
    bodies: dict[str, AllianceBody]
    organisations: dict[str, Organisation]
    now: datetime
    show_amounts: bool

    def party_name(self, label: str | None, key: str | None) -> str:
        """A body's or organisation's name; the open pool when a hop has no assignee."""
        if key is None:
            return "任务池"
        party = self.bodies.get(key) if label == "AllianceBody" else self.organisations.get(key)
        return party.name if party else key

    def sender(self, hop: ReferralHop) -> tuple[str | None, str | None]:
        found = self.senders.get(hop.id)
        return found if found else (None, None)


def node_id(label: str, key: str) -> str:
    return f"{label}:{key}"


def _status_label(subject_label: str, value: str | None) -> str:
    if value is None:
        return "—"
    enum_type = _STATUS_ENUMS.get(subject_label)
    try:
        return enum_type(value).zh if enum_type else value
    except ValueError:
        return value


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f" {fen / 100:,.2f} 元"


def build_timeline(parts: ChainParts) -> list[TraceEvent]:
    """Every step of the chain, in time order (ties keep discovery -> outcome order)."""
    hops = {h.id: h for h in parts.hops}
    referral_ids = {r.id for r in parts.referrals}
    events: list[TraceEvent] = []
    for need in parts.needs:
        events.append(
            TraceEvent(
                kind="need_reported",
                at=need.created_at,
                actor=need.reported_by,
                subject_label="Need",
                subject_id=need.id,
                to_status=need.status.value,
                summary_zh=f"发现{need.type.zh}需求（{need.urgency.zh}，{need.channel.zh}）",
                summary_en=f"{need.type.en} need found ({need.urgency.en}, {need.channel.en})",
            )
        )
    for report in parts.reports:
        events.append(
            TraceEvent(
                kind="need_report",
                at=report.reported_at,
                actor=report.reported_by,
                subject_label="Need",
                subject_id=report.need_id,
                summary_zh=f"需求上报（{report.channel.zh}，{report.urgency.zh}）",
                summary_en=f"Need reported ({report.channel.en}, {report.urgency.en})",
            )
        )
    for referral in parts.referrals:
        resource = parts.resources.get(referral.resource_id or "")
        matched = f"，匹配资源：{resource.name}" if resource else ""
        matched_en = f", resource: {resource.name}" if resource else ""
        events.append(
            TraceEvent(
                kind="referral_created",
                at=referral.created_at,
                actor=referral.created_by,
                subject_label="Referral",
                subject_id=referral.id,
                summary_zh=f"派单（{referral.track.zh}）{matched}",
                summary_en=f"Referral created ({referral.track.en}){matched_en}",
            )
        )
    verified = set()
    for change in parts.changes:
        if change.subject_label == "Referral" and change.to_status == ReferralStatus.COMPLETED:
            verified.add(change.subject_id)
        events.append(_change_event(parts, change, hops.get(change.subject_id)))
    for hop in parts.hops:
        if hop.escalated_at is not None and hop.escalation_level is not None:
            events.append(
                TraceEvent(
                    kind="hop_escalated",
                    at=hop.escalated_at,
                    actor="system",
                    subject_label="ReferralHop",
                    subject_id=hop.id,
                    summary_zh=f"第{hop.seq}环超时，升级至{hop.escalation_level.zh}",
                    summary_en=f"Hop {hop.seq} overdue, escalated to the {hop.escalation_level.en}",
                    late=True,
                )
            )
    for delivery in parts.deliveries:
        amount = _yuan(delivery.amount_fen) if parts.show_amounts else ""
        events.append(
            TraceEvent(
                kind="delivery",
                at=delivery.recorded_at,
                actor=delivery.recorded_by,
                subject_label="ReferralHop",
                subject_id=delivery.hop_id,
                summary_zh=f"交付：{delivery.kind.zh}{amount}",
                summary_en=f"Delivered: {delivery.kind.en}{amount}",
            )
        )
    for referral in parts.referrals:
        done = referral.status is ReferralStatus.COMPLETED and referral.completed_at is not None
        if done and referral.id not in verified and referral.completed_at is not None:
            events.append(
                TraceEvent(
                    kind="verification",
                    at=referral.completed_at,
                    actor=referral.verified_by,
                    subject_label="Referral",
                    subject_id=referral.id,
                    to_status=ReferralStatus.COMPLETED.value,
                    summary_zh="核验办结",
                    summary_en="Verified and closed",
                )
            )
    for outcome in parts.outcomes:
        if outcome.referral_id not in referral_ids:
            continue
        amount = _yuan(outcome.amount_fen) if parts.show_amounts else ""
        events.append(
            TraceEvent(
                kind="outcome",
                at=outcome.evaluated_at,
                actor=outcome.evaluated_by,
                subject_label="Referral",
                subject_id=outcome.referral_id,
                summary_zh=f"成效评估：{outcome.result.zh}{amount}",
                summary_en=f"Effect evaluation: {outcome.result.en}{amount}",
            )
        )
    return sorted(events, key=lambda e: e.at)


def _is_reopen(change: StatusChange) -> bool:
    """A referral's change to its own status: how a reopen is recorded (it stays active)."""
    return change.subject_label == "Referral" and change.from_status == change.to_status


def _change_event(parts: ChainParts, change: StatusChange, hop: ReferralHop | None) -> TraceEvent:
    before = _status_label(change.subject_label, change.from_status)
    after = _status_label(change.subject_label, change.to_status)
    kinds: dict[str, EventKind] = {"Need": "need_status", "Referral": "referral_status"}
    kind: EventKind = "hop_status" if hop is not None else kinds.get(change.subject_label, "need_status")
    summary_zh = f"{before} → {after}"
    summary_en = f"{change.from_status or '—'} -> {change.to_status}"
    late = False
    if _is_reopen(change):
        kind = "referral_reopened"
        code = change.reason_code
        summary_zh = "重新办理" + (f"：{code.zh}" if code else "")
        summary_en = "Reopened" + (f": {code.en}" if code else "")
    elif hop is not None:
        sender_label, sender_key = parts.sender(hop)
        route = (
            f"{parts.party_name(sender_label, sender_key)} → "
            f"{parts.party_name(hop.assignee_label, hop.assignee_id)}"
        )
        summary_zh = f"第{hop.seq}环 {route}：{summary_zh}"
        summary_en = f"Hop {hop.seq} {route}: {summary_en}"
        late = completed_late(hop, change.at, change.to_status)
    if change.reason:
        summary_zh += f"（{change.reason}）"
        summary_en += f" ({change.reason})"
    return TraceEvent(
        kind=kind,
        at=change.at,
        actor=change.by,
        subject_label=change.subject_label,
        subject_id=change.subject_id,
        from_status=change.from_status,
        to_status=change.to_status,
        reason=change.reason,
        reason_code=change.reason_code,
        summary_zh=summary_zh,
        summary_en=summary_en,
        late=late,
    )


def build_graph(parts: ChainParts, head_name: str | None) -> TraceGraph:
    """Nodes (household, needs, resources, bodies, organisations, referrals, hops) and their edges."""
    household = parts.household
    hid = node_id("Household", household.id)
    title = f"{head_name}户" if head_name else f"户 {household.id}"
    nodes: dict[str, TraceNode] = {hid: TraceNode(id=hid, label="Household", title=title)}
    edges: list[TraceEdge] = []
    for need in parts.needs:
        nid = node_id("Need", need.id)
        nodes[nid] = TraceNode(
            id=nid,
            label="Need",
            kind=need.type.value,
            title=f"{need.type.zh}需求",
            status=need.status.value,
            status_zh=need.status.zh,
            created_at=need.created_at,
        )
        edges.append(TraceEdge(source=hid, target=nid, type="HAS_NEED", at=need.created_at))
    for referral in parts.referrals:
        rid = node_id("Referral", referral.id)
        nodes[rid] = TraceNode(
            id=rid,
            label="Referral",
            kind=referral.track.value,
            title=f"转介（{referral.track.zh}）",
            status=referral.status.value,
            status_zh=referral.status.zh,
            created_at=referral.created_at,
            completed_at=referral.completed_at,
        )
        need_node = node_id("Need", referral.need_id)
        if need_node in nodes:
            edges.append(TraceEdge(source=rid, target=need_node, type="FOR_NEED", at=referral.created_at))
        resource = parts.resources.get(referral.resource_id or "")
        if resource is not None:
            res_id = node_id("Resource", resource.id)
            nodes[res_id] = TraceNode(
                id=res_id, label="Resource", kind=resource.kind.value, title=resource.name
            )
            edges.append(TraceEdge(source=rid, target=res_id, type="USES", at=referral.created_at))
    previous: dict[str, str] = {}
    for hop in parts.hops:  # in (referral, seq) order
        _add_hop(parts, hop, nodes, edges, previous)
    return TraceGraph(nodes=list(nodes.values()), edges=edges)


def _party_node(parts: ChainParts, label: str | None, key: str | None, hop: ReferralHop) -> TraceNode:
    if key is None or label is None:
        pool = hop.pool_area_code or "pool"
        return TraceNode(
            id=node_id(POOL_LABEL, pool), label=POOL_LABEL, kind="pool", title="任务池 / open pool"
        )
    if label == "AllianceBody" and key in parts.bodies:
        body = parts.bodies[key]
        return TraceNode(id=node_id(label, key), label=label, kind=body.level.value, title=body.name)
    if label == "Organisation" and key in parts.organisations:
        org = parts.organisations[key]
        return TraceNode(id=node_id(label, key), label=label, kind=org.kind.value, title=org.name)
    return TraceNode(id=node_id(label, key), label=label, title=key)


def _add_hop(
    parts: ChainParts,
    hop: ReferralHop,
    nodes: dict[str, TraceNode],
    edges: list[TraceEdge],
    previous: dict[str, str],
) -> None:
    hop_node = node_id("ReferralHop", hop.id)
    overdue = is_overdue(hop, parts.now)
    nodes[hop_node] = TraceNode(
        id=hop_node,
        label="ReferralHop",
        kind="hop",
        title=f"第{hop.seq}环",
        status=hop.status.value,
        status_zh=hop.status.zh,
        seq=hop.seq,
        created_at=hop.created_at,
        started_at=started_at(hop),
        completed_at=hop.completed_at,
        due_at=hop.due_at,
        accept_due_at=hop.accept_due_at,
        overdue=overdue,
        late_hours=late_hours(hop, parts.now),
        escalation_level=hop.escalation_level,
    )
    before = previous.get(hop.referral_id)
    if before is None:
        edges.append(
            TraceEdge(source=node_id("Referral", hop.referral_id), target=hop_node, type="FIRST_HOP")
        )
    else:
        edges.append(TraceEdge(source=before, target=hop_node, type="NEXT_HOP"))
    previous[hop.referral_id] = hop_node
    sender_label, sender_key = parts.sender(hop)
    assignee = _party_node(parts, hop.assignee_label, hop.assignee_id, hop)
    nodes.setdefault(assignee.id, assignee)
    at = hop.updated_at
    edges.append(
        TraceEdge(
            source=hop_node, target=assignee.id, type="ASSIGNED_TO", hop_id=hop.id, status=hop.status, at=at
        )
    )
    if sender_key is not None:
        sender = _party_node(parts, sender_label, sender_key, hop)
        nodes.setdefault(sender.id, sender)
        edges.append(TraceEdge(source=hop_node, target=sender.id, type="SENT_BY", hop_id=hop.id))
        edges.append(
            TraceEdge(
                source=sender.id,
                target=assignee.id,
                type="HOP",
                hop_id=hop.id,
                status=hop.status.value,
                at=at,
                overdue=overdue,
            )
        )
