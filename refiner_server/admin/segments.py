"""Admin routes of segments (`segments.py`): create, list and read with the count of
contacts each matches now, replace, delete (409 with the surveys that still name it).
Viewers read, editors change (a segment is surveys' audience); changes go to the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from refiner_server import segments as segment_store
from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import SegmentChange, SegmentIn, SegmentOut
from refiner_server.client.rules import FormPath, ProjectPath
from refiner_server.deps import AdminEngine
from refiner_server.team.access import ApiEditor, ApiViewer
from refiner_server.team.audit import record
from refiner_server.team.principal import Principal

BASE = "/projects/{project_id}/segments"

router = APIRouter(tags=["admin: segments"])


@router.get(BASE, response_model=list[SegmentOut], summary="List segments with their counts")
def segments_list(
    project_id: ProjectPath, engine: AdminEngine, _who: ApiViewer
) -> list[dict[str, Any]]:
    with refusals():
        return segment_store.list_segments(engine, project_id)


@router.post(BASE, response_model=SegmentOut, status_code=201, summary="Create a segment")
def segment_create(
    project_id: ProjectPath, body: SegmentIn, engine: AdminEngine, who: ApiEditor
) -> dict[str, Any]:
    with refusals():
        segment_store.create_segment(engine, project_id, body.id, body.name, body.audience)
        made = segment_store.get_segment(engine, project_id, body.id)
    _changed(engine, who, project_id, body.id, "segment.created")
    return made


@router.get(BASE + "/{segment_id}", response_model=SegmentOut, summary="Read a segment")
def segment_read(
    project_id: ProjectPath, segment_id: FormPath, engine: AdminEngine, _who: ApiViewer
) -> dict[str, Any]:
    with refusals():
        return segment_store.get_segment(engine, project_id, segment_id)


@router.put(
    BASE + "/{segment_id}",
    response_model=SegmentOut,
    summary="Replace a segment's name and audience (every survey naming it follows)",
)
def segment_update(
    project_id: ProjectPath,
    segment_id: FormPath,
    body: SegmentChange,
    engine: AdminEngine,
    who: ApiEditor,
) -> dict[str, Any]:
    with refusals():
        segment_store.update_segment(engine, project_id, segment_id, body.name, body.audience)
        saved = segment_store.get_segment(engine, project_id, segment_id)
    _changed(engine, who, project_id, segment_id, "segment.updated")
    return saved


@router.delete(
    BASE + "/{segment_id}",
    status_code=204,
    summary="Delete a segment no survey names (409 lists the surveys that do)",
)
def segment_delete(
    project_id: ProjectPath, segment_id: FormPath, engine: AdminEngine, who: ApiEditor
) -> Response:
    with refusals():
        segment_store.delete_segment(engine, project_id, segment_id)
    _changed(engine, who, project_id, segment_id, "segment.deleted")
    return Response(status_code=204)


def _changed(engine: Any, who: Principal, project_id: str, segment_id: str, action: str) -> None:
    record(engine, project_id=project_id, actor=who, action=action, subject="segment:" + segment_id)
