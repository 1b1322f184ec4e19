#!/usr/bin/env bash
# Starts the local services the test suite needs when they are not already running.
# Each start command is the one this machine kind documents; all are idempotent.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  echo "starting PostgreSQL"
  if ! command -v pg_ctlcluster >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
fi
port_open 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

# The RTSP tests serve clips with GStreamer's RTSP server, which runs under Debian's python3
# (tests/rtsp_server.py); those tests fail unless it works or OPENVIAS_SKIP_RTSP=1.
gst_rtsp_ok() {
  /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer','1.0')
from gi.repository import Gst; Gst.init(None)
assert all(map(Gst.ElementFactory.find, ('appsrc', 'parsebin', 'h264parse', 'rtph264pay')))" \
    2>/dev/null
}
GST_RTSP_PACKAGES="python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base \
gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-rtsp"
if ! gst_rtsp_ok; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing GStreamer's RTSP server for the RTSP tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $GST_RTSP_PACKAGES >/dev/null
  fi
  gst_rtsp_ok || echo "GStreamer's RTSP server is missing, so the RTSP tests will fail;" \
    "install it as root with: apt-get install $GST_RTSP_PACKAGES" \
    "(or set OPENVIAS_SKIP_RTSP=1 to skip those tests)" >&2
fi

# The console's browser tests (tests/web) drive Debian's Chromium with Python Playwright;
# the CJK font renders Chinese names in their screenshots.
CONSOLE_PACKAGES="chromium fonts-wqy-microhei"
if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing Chromium and a CJK font for the console tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $CONSOLE_PACKAGES >/dev/null
  fi
  [ -x /usr/bin/chromium ] || echo "Chromium is missing, so the console tests (tests/web) fail;" \
    "install it as root with: apt-get install $CONSOLE_PACKAGES" >&2
fi
