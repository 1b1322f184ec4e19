"""An alarm's image on its own (openvias extension): ``GET .../events/{event_id}/image``
answers the stored JPEG, or a smaller one with ``max_side``, cacheable by the browser;
another project's event is 404."""

from __future__ import annotations

import base64

import cv2
import httpx
import numpy as np
import pytest

from tests.api.event_support import CREATED, alarm, seed
from tests.api.identity_support import assert_error
from tests.api.video_center import other_project, unique
from tests.support import Server

WIDTH, HEIGHT = 1280, 720


def _picture() -> bytes:
    image = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    cv2.rectangle(image, (100, 100), (900, 600), (0, 0, 255), -1)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return bytes(encoded.tobytes())


def _decoded(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, max-age=3600"
    # the stored size, which bounding boxes refer to, whatever the size sent
    assert response.headers["x-openvias-image-width"] == str(WIDTH)
    assert response.headers["x-openvias-image-height"] == str(HEIGHT)
    image = cv2.imdecode(np.frombuffer(response.content, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


@pytest.fixture(scope="module")
def project(server: Server) -> tuple[Server, str, bytes]:
    seeded = other_project(server, "images")
    task = unique("ti").replace("-", "")
    stored = alarm(seeded.project_id, task, 7_000, jpeg=_picture())
    assert seed(seeded, (stored, CREATED)) == [True]
    return seeded, stored.message_id, stored.jpeg


def _image(project: Server, event_id: str, **params: int) -> httpx.Response:
    with project.client() as client:
        return client.get(f"/v2/{project.project_id}/events/{event_id}/image", params=params)


def test_the_full_image_is_the_stored_jpeg(project: tuple[Server, str, bytes]) -> None:
    server, event_id, jpeg = project
    response = _image(server, event_id)
    assert _decoded(response).shape == (HEIGHT, WIDTH, 3)
    assert response.content == jpeg
    # ShowEvent's image_base64 is the same picture; the lower-case id works as well
    with server.client() as client:
        shown = client.get(f"/v2/{server.project_id}/events/{event_id}").json()
    assert base64.b64decode(shown["image_base64"]) == jpeg
    assert _image(server, event_id.lower()).content == jpeg


@pytest.mark.parametrize(("max_side", "shape"), [(480, (270, 480)), (100, (56, 100))])
def test_max_side_scales_down(
    project: tuple[Server, str, bytes], max_side: int, shape: tuple[int, int]
) -> None:
    server, event_id, jpeg = project
    response = _image(server, event_id, max_side=max_side)
    image = _decoded(response)
    assert image.shape[:2] == shape
    assert len(response.content) < len(jpeg)
    # still the picture: the red rectangle is where it was, scaled
    y, x = shape[0] // 2, shape[1] // 2
    assert image[y, x, 2] > 200
    assert image[y, x, 0] < 60


def test_a_larger_max_side_keeps_the_stored_jpeg(project: tuple[Server, str, bytes]) -> None:
    server, event_id, jpeg = project
    assert _image(server, event_id, max_side=4096).content == jpeg


def test_another_projects_event_is_404(project: tuple[Server, str, bytes], server: Server) -> None:
    owner, event_id, _ = project
    stranger = other_project(server, "stranger")
    body = assert_error(_image(stranger, event_id), 404)
    assert body["params"] == ["event_id"]
    missing = event_id[:-4] + ("0000" if not event_id.endswith("0000") else "1111")
    assert_error(_image(owner, missing), 404)


@pytest.mark.parametrize("max_side", [0, 15, 8193])
def test_a_bad_max_side_is_a_vias_400(project: tuple[Server, str, bytes], max_side: int) -> None:
    server, event_id, _ = project
    assert_error(_image(server, event_id, max_side=max_side), 400)
