#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Drives a headless chromium over the DevTools protocol on a pipe
# (--remote-debugging-pipe: JSON messages ended by NUL, commands on the
# browser's fd 3, answers and events on its fd 4), so that no WebSocket
# client module is needed.  For test-webrtc.sh and bench-webrtc.sh.
#
#   cdp-pipe.py [options] URL
#     --chromium PATH     the browser (default: chromium)
#     --user-data-dir DIR a private profile (required)
#     --frames N          per visit: wait for N GVT-FRAME lines (default 30)
#     --timeout S         per visit (default 30)
#     --visits N          open URL N times, about:blank between (default 1)
#     --between CMD       shell command run after each visit's about:blank
#     --screenshot PNG    after the first visit's frames, the page as PNG
#     --eval JS           after the first visit's frames, print its value
#     --during CMD        then run this shell command ("during" printed) and
#                         wait for as many frames again (a reconnect)
#     --key CODE          then press and release a key (Input.dispatchKeyEvent,
#                         e.g. KeyA) and click the page's centre
#     --eval2 JS          then evaluate this too (printed as "eval2 VALUE")
#     --wait-console TEXT then wait (10 s) for a console line holding TEXT
#     --login USER:PASSWORD answer the server's HTTP authentication
#                         (Fetch.authRequired) with these, as a user typing
#                         them into the browser's login dialog; a second
#                         challenge for the same request (wrong password)
#                         is cancelled and printed as "login refused"
#     --wheel             with --key: then turn the wheel up and down a
#                         notch over the page's centre (mouseWheel)
#     --run CMD           after the first visit's frames (before --eval),
#                         run this shell command
#     --kill              end the first visit by killing the browser
#                         (SIGKILL to its process group: a crash, no
#                         goodbye to the server), printed as "killed"
#
# Prints, per visit, "visit I" and then every console line of the page
# ("console TEXT"), and "timeout" if the frames did not come; "eval VALUE";
# exit 0 once all visits ran (the caller judges the lines), 2 on a
# browser or protocol failure.
import argparse
import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import time


class Browser:
    def __init__(self, chromium, profile):
        r_cmd, self.w_cmd = os.pipe()	# we write commands, it reads fd 3
        self.r_ev, w_ev = os.pipe()	# it writes fd 4, we read
        def child_fds():
            # Above 10 first: a pipe may already sit on 3 or 4, and
            # dup2 onto itself would keep it close-on-exec.
            a = fcntl.fcntl(r_cmd, fcntl.F_DUPFD, 10)
            c = fcntl.fcntl(w_ev, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(c, 4)
        args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", "--user-data-dir=" + profile,
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream", "--no-first-run",
                "--disable-background-networking", "--disable-extensions",
                "--disable-sync", "--mute-audio", "--window-size=1280,800",
                "--enable-logging=stderr", "--v=0", "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=child_fds,
                                     stdout=subprocess.DEVNULL, stderr=open(profile + ".log", "wb"),
                                     close_fds=False, start_new_session=True)
        os.close(r_cmd)
        os.close(w_ev)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        self.login = None	# (user, password)
        self.challenged = set()

    def _send(self, method, params):
        # No wait for the answer: it is skipped as an unknown id.
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params, "sessionId": self.session}
        os.write(self.w_cmd, json.dumps(msg).encode() + b"\0")

    def _fetch(self, m):
        # Fetch.enable pauses every request: let it go, or log in.
        p = m["params"]
        if m["method"] == "Fetch.requestPaused":
            self._send("Fetch.continueRequest", {"requestId": p["requestId"]})
        elif m["method"] == "Fetch.authRequired":
            rid = p["requestId"]
            if rid in self.challenged or not self.login:
                print("login refused", flush=True)
                resp = {"response": "CancelAuth"}
            else:
                self.challenged.add(rid)
                resp = {"response": "ProvideCredentials", "username": self.login[0],
                        "password": self.login[1]}
            self._send("Fetch.continueWithAuth", {"requestId": rid, "authChallengeResponse": resp})

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.r_ev], [], [], left)
            if not r:
                return None
            chunk = os.read(self.r_ev, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed its DevTools pipe")
            self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        m = json.loads(msg)
        if m.get("method", "").startswith("Fetch."):
            self._fetch(m)
            return self._read_msg(deadline)
        return m

    def call(self, method, params=None, session=True, timeout=20):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w_cmd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_msg(deadline)
            if m is None:
                raise RuntimeError("no answer to " + method)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def event(self, timeout):
        if self.events:
            return self.events.pop(0)
        return self._read_msg(time.monotonic() + timeout)

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def console_text(ev):
    return " ".join(str(a.get("value", a.get("description", ""))) for a in ev["params"].get("args", []))


def wait_frames(b, n, timeout):
    frames = 0
    deadline = time.monotonic() + timeout
    while frames < n:
        ev = b.event(max(0.0, deadline - time.monotonic()))
        if ev is None:
            print("timeout", flush=True)
            return
        if ev.get("method") == "Runtime.consoleAPICalled":
            text = console_text(ev)
            print("console " + text, flush=True)
            frames += text.startswith("GVT-FRAME ")
        elif ev.get("method") == "Runtime.exceptionThrown":
            d = ev["params"]["exceptionDetails"]
            print("console EXCEPTION " + d.get("exception", {}).get("description", d.get("text", "")),
                  flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--user-data-dir", required=True)
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--visits", type=int, default=1)
    ap.add_argument("--between")
    ap.add_argument("--screenshot")
    ap.add_argument("--eval")
    ap.add_argument("--key")
    ap.add_argument("--during")
    ap.add_argument("--eval2")
    ap.add_argument("--wait-console")
    ap.add_argument("--login")
    ap.add_argument("--wheel", action="store_true")
    ap.add_argument("--run")
    ap.add_argument("--kill", action="store_true")
    a = ap.parse_args()

    b = Browser(a.chromium, a.user_data_dir)
    if a.login:
        b.login = tuple(a.login.split(":", 1))
    try:
        targets = b.call("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        b.session = b.call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                           session=False)["sessionId"]
        b.call("Runtime.enable")
        b.call("Page.enable")
        if a.login:
            b.call("Fetch.enable", {"handleAuthRequests": True, "patterns": [{"urlPattern": "*"}]})
        for visit in range(1, a.visits + 1):
            print("visit %d" % visit, flush=True)
            b.call("Page.navigate", {"url": a.url})
            wait_frames(b, a.frames, a.timeout)
            if visit == 1 and a.screenshot:
                shot = b.call("Page.captureScreenshot", {"format": "png"})
                with open(a.screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            if visit == 1 and a.during:
                subprocess.run(a.during, shell=True, check=False)
                print("during", flush=True)
                wait_frames(b, a.frames, a.timeout)
            if visit == 1 and a.run:
                subprocess.run(a.run, shell=True, check=False)
            if visit == 1 and a.eval:
                r = b.call("Runtime.evaluate", {"expression": a.eval, "returnByValue": True})
                print("eval " + json.dumps(r.get("result", {}).get("value")), flush=True)
            if visit == 1 and a.key:
                key = a.key[3:].lower() if a.key.startswith("Key") else ""
                for t in ("keyDown", "keyUp"):
                    b.call("Input.dispatchKeyEvent", {"type": t, "code": a.key, "key": key,
                                                      "text": key if t == "keyDown" else ""})
                for t in ("mouseMoved", "mousePressed", "mouseReleased"):
                    b.call("Input.dispatchMouseEvent", {"type": t, "x": 640, "y": 400,
                                                        "button": "left" if t != "mouseMoved" else "none",
                                                        "clickCount": 1})
                if a.wheel:
                    for dy in (-120, 120):	# up (away from the user), down
                        b.call("Input.dispatchMouseEvent", {"type": "mouseWheel", "x": 640, "y": 400,
                                                            "deltaX": 0, "deltaY": dy})
                print("input sent", flush=True)
            if visit == 1 and a.eval2:
                r = b.call("Runtime.evaluate", {"expression": a.eval2, "returnByValue": True})
                print("eval2 " + json.dumps(r.get("result", {}).get("value")), flush=True)
            if visit == 1 and a.wait_console:
                deadline = time.monotonic() + 10
                while True:
                    ev = b.event(max(0.0, deadline - time.monotonic()))
                    if ev is None:
                        print("timeout waiting for " + a.wait_console, flush=True)
                        break
                    if ev.get("method") == "Runtime.consoleAPICalled":
                        text = console_text(ev)
                        if not text.startswith("GVT-FRAME "):
                            print("console " + text, flush=True)
                        if a.wait_console in text:
                            break
            if visit == 1 and a.kill:
                os.killpg(b.proc.pid, 9)
                b.proc.wait()
                print("killed", flush=True)
                return 0
            b.call("Page.navigate", {"url": "about:blank"})
            b.events.clear()
            if a.between:
                subprocess.run(a.between, shell=True, check=False)
    except (RuntimeError, StopIteration, OSError) as e:
        print("cdp-pipe: %s" % e, file=sys.stderr)
        b.close()
        return 2
    b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
