"""The openvias extensions: the Event Center (events, their review, aggregation rules),
alarm deliveries, stream health, the Overview summary and evaluation jobs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openvias.client.base import Operations, QueryValue, body_json, iterate_pages, query, segment
from openvias.schemas.deliveries import DeliveryInfo, DeliveryList
from openvias.schemas.evaluations import (
    EvaluationCreate,
    EvaluationCreated,
    EvaluationInfo,
    EvaluationList,
)
from openvias.schemas.events import (
    EventDetail,
    EventList,
    EventReview,
    EventRulesInfo,
    EventRulesUpdate,
    EventSummary,
)
from openvias.schemas.overview import OverviewInfo
from openvias.schemas.stream_health import StreamHealthInfo, StreamHealthList


class ExtensionOperations(Operations):
    def show_event_rules(self) -> EventRulesInfo:
        return self._call(EventRulesInfo, "GET", "/events/rules")

    def update_event_rules(self, body: EventRulesUpdate | Mapping[str, Any]) -> EventRulesInfo:
        json = body_json(EventRulesUpdate, body)
        return self._call(EventRulesInfo, "PUT", "/events/rules", json=json)

    def list_events(
        self, *, offset: int | None = None, limit: int | None = None, **filters: QueryValue
    ) -> EventList:
        """``filters``: ``task_id``, ``video_source_id``, ``service_name``, ``event_type``,
        ``start_time``, ``end_time``, ``review_state``, ``include_secondary``."""
        params = query(offset=offset, limit=limit, **filters)
        return self._call(EventList, "GET", "/events", params=params)

    def iter_events(self, *, page_size: int = 100, **filters: QueryValue) -> Iterator[EventSummary]:
        def fetch(index: int) -> list[EventSummary]:
            return self.list_events(offset=index * page_size, limit=page_size, **filters).events

        return iterate_pages(fetch, page_size)

    def show_event(self, event_id: str) -> EventDetail:
        return self._call(EventDetail, "GET", f"/events/{segment(event_id)}")

    def show_event_image(self, event_id: str, *, max_side: int | None = None) -> bytes:
        """The alarm image as JPEG, scaled down to ``max_side`` when larger."""
        path = f"/events/{segment(event_id)}/image"
        return self._send("GET", path, params=query(max_side=max_side)).content

    def show_overview(self, *, tz: str | None = None) -> OverviewInfo:
        """Counts of the console's Overview; ``tz``: the IANA time zone of "today"."""
        return self._call(OverviewInfo, "GET", "/overview", params=query(tz=tz))

    def delete_event(self, event_id: str) -> None:
        self._send("DELETE", f"/events/{segment(event_id)}")

    def list_secondary_events(
        self, event_id: str, *, offset: int | None = None, limit: int | None = None
    ) -> EventList:
        params = query(offset=offset, limit=limit)
        return self._call(EventList, "GET", f"/events/{segment(event_id)}/secondary", params=params)

    def review_event(self, event_id: str, body: EventReview | Mapping[str, Any]) -> EventSummary:
        path = f"/events/{segment(event_id)}/review"
        return self._call(EventSummary, "PUT", path, json=body_json(EventReview, body))

    def list_deliveries(
        self, *, offset: int | None = None, limit: int | None = None, **filters: QueryValue
    ) -> DeliveryList:
        """``filters``: ``event_id``, ``task_id``, ``sink``, ``state``."""
        params = query(offset=offset, limit=limit, **filters)
        return self._call(DeliveryList, "GET", "/deliveries", params=params)

    def iter_deliveries(
        self, *, page_size: int = 100, **filters: QueryValue
    ) -> Iterator[DeliveryInfo]:
        def fetch(index: int) -> list[DeliveryInfo]:
            offset = index * page_size
            return self.list_deliveries(offset=offset, limit=page_size, **filters).deliveries

        return iterate_pages(fetch, page_size)

    def show_delivery(self, delivery_id: int) -> DeliveryInfo:
        return self._call(DeliveryInfo, "GET", f"/deliveries/{segment(delivery_id)}")

    def retry_delivery(self, delivery_id: int) -> DeliveryInfo:
        return self._call(DeliveryInfo, "POST", f"/deliveries/{segment(delivery_id)}/retry")

    def show_task_stream(self, task_id: str) -> StreamHealthInfo:
        return self._call(StreamHealthInfo, "GET", f"/tasks/{segment(task_id)}/stream")

    def list_streams(
        self, *, offset: int | None = None, limit: int | None = None
    ) -> StreamHealthList:
        params = query(offset=offset, limit=limit)
        return self._call(StreamHealthList, "GET", "/streams", params=params)

    def iter_streams(self, *, page_size: int = 100) -> Iterator[StreamHealthInfo]:
        def fetch(index: int) -> list[StreamHealthInfo]:
            return self.list_streams(offset=index * page_size, limit=page_size).streams

        return iterate_pages(fetch, page_size)

    def create_evaluation(self, body: EvaluationCreate | Mapping[str, Any]) -> EvaluationCreated:
        """Queue an evaluation job (an engine worker runs it, see ``docs/evaluate.md``)."""
        json = body_json(EvaluationCreate, body)
        return self._call(EvaluationCreated, "POST", "/evaluations", json=json)

    def list_evaluations(
        self, *, offset: int | None = None, limit: int | None = None
    ) -> EvaluationList:
        params = query(offset=offset, limit=limit)
        return self._call(EvaluationList, "GET", "/evaluations", params=params)

    def iter_evaluations(self, *, page_size: int = 100) -> Iterator[EvaluationInfo]:
        def fetch(index: int) -> list[EvaluationInfo]:
            return self.list_evaluations(offset=index * page_size, limit=page_size).evaluations

        return iterate_pages(fetch, page_size)

    def show_evaluation(self, evaluation_id: str) -> EvaluationInfo:
        return self._call(EvaluationInfo, "GET", f"/evaluations/{segment(evaluation_id)}")

    def show_evaluation_report(self, evaluation_id: str) -> dict[str, Any]:
        """The JSON report ``openvias evaluate`` writes; 404 (ViasError) until SUCCEEDED."""
        path = f"/evaluations/{segment(evaluation_id)}/report"
        report: dict[str, Any] = self._send("GET", path).json()
        return report

    def delete_evaluation(self, evaluation_id: str) -> None:
        self._send("DELETE", f"/evaluations/{segment(evaluation_id)}")
