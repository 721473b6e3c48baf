"""Admin routes of segments (`segments.py`): create, list and read with the count of
contacts each matches now, replace, delete (409 with the surveys that still name it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from refiner_server import segments as segment_store
from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import SegmentChange, SegmentIn, SegmentOut
from refiner_server.client.rules import FormPath, ProjectPath
from refiner_server.deps import AdminEngine

BASE = "/projects/{project_id}/segments"

router = APIRouter(tags=["admin: segments"])


@router.get(BASE, response_model=list[SegmentOut], summary="List segments with their counts")
def segments_list(project_id: ProjectPath, engine: AdminEngine) -> list[dict[str, Any]]:
    with refusals():
        return segment_store.list_segments(engine, project_id)


@router.post(BASE, response_model=SegmentOut, status_code=201, summary="Create a segment")
def segment_create(project_id: ProjectPath, body: SegmentIn, engine: AdminEngine) -> dict[str, Any]:
    with refusals():
        segment_store.create_segment(engine, project_id, body.id, body.name, body.audience)
        return segment_store.get_segment(engine, project_id, body.id)


@router.get(BASE + "/{segment_id}", response_model=SegmentOut, summary="Read a segment")
def segment_read(
    project_id: ProjectPath, segment_id: FormPath, engine: AdminEngine
) -> dict[str, Any]:
    with refusals():
        return segment_store.get_segment(engine, project_id, segment_id)


@router.put(
    BASE + "/{segment_id}",
    response_model=SegmentOut,
    summary="Replace a segment's name and audience (every survey naming it follows)",
)
def segment_update(
    project_id: ProjectPath, segment_id: FormPath, body: SegmentChange, engine: AdminEngine
) -> dict[str, Any]:
    with refusals():
        segment_store.update_segment(engine, project_id, segment_id, body.name, body.audience)
        return segment_store.get_segment(engine, project_id, segment_id)


@router.delete(
    BASE + "/{segment_id}",
    status_code=204,
    summary="Delete a segment no survey names (409 lists the surveys that do)",
)
def segment_delete(project_id: ProjectPath, segment_id: FormPath, engine: AdminEngine) -> Response:
    with refusals():
        segment_store.delete_segment(engine, project_id, segment_id)
    return Response(status_code=204)
