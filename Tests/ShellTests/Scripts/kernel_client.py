"""Drives `aslsh kernel` with jupyter_client's KernelManager, the client JupyterLab and nbclient use.

usage: kernel_client.py WORKDIR REPORT.json   (JUPYTER_PATH must list the installed kernelspec)
Asserts each reply as it goes; writes what it saw (and a plot's PNG) for the Swift test to check too.
"""
import base64, json, os, sys, time, uuid

import zmq
from jupyter_client import KernelManager
from jupyter_client.session import Session

workdir, report_path = sys.argv[1], sys.argv[2]
report = {}
km = KernelManager(kernel_name="aslsh")
km.start_kernel(cwd=workdir)
kc = km.client()
kc.start_channels()
try:
    kc.wait_for_ready(timeout=30)
except BaseException:
    km.shutdown_kernel(now=True)
    raise


def main():


    def run(code, timeout=60):
        """Executes code; returns (reply content, iopub messages of this request up to idle)."""
        msg_id = kc.execute(code)
        messages = []
        while True:
            msg = kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        reply = kc.get_shell_msg(timeout=timeout)
        assert reply["parent_header"]["msg_id"] == msg_id
        return reply["content"], messages


    def of_type(messages, kind):
        return [m["content"] for m in messages if m["msg_type"] == kind]


    def stdout(messages):
        return "".join(c["text"] for c in of_type(messages, "stream") if c["name"] == "stdout")


    # kernel_info
    kc.kernel_info()
    info = kc.get_shell_msg(timeout=10)["content"]
    assert info["status"] == "ok" and info["protocol_version"] == "5.3", info
    assert info["language_info"]["name"] == "aslsh" and info["language_info"]["file_extension"] == ".aslsh", info
    report["implementation"] = info["implementation"]

    # execute: variables persist between cells, as in the REPL
    reply, msgs = run("x = 3")
    assert reply["status"] == "ok" and reply["execution_count"] == 1, reply
    reply, msgs = run("echo x; x")
    assert reply["status"] == "ok" and reply["execution_count"] == 2, reply
    assert stdout(msgs) == "3\n3\n", repr(stdout(msgs))
    assert of_type(msgs, "execute_input")[0]["code"] == "echo x; x"

    reply, msgs = run("synth --classes 'A B' --per-class 3 --out s --seed 5")
    assert reply["status"] == "ok", reply
    assert "generated 6 clips in 2 classes" in stdout(msgs), stdout(msgs)

    # a plot shows its PNG inline
    reply, msgs = run("plot hand s/landmarks/synth_A_0000.npy --out plots/a.png --title A")
    assert reply["status"] == "ok", reply
    images = [c for c in of_type(msgs, "display_data") if "image/png" in c["data"]]
    assert len(images) == 1, msgs
    png = base64.b64decode(images[0]["data"]["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert images[0]["data"]["text/plain"] == "plots/a.png", images[0]["data"]["text/plain"]
    with open(os.path.join(workdir, "inline.png"), "wb") as f:
        f.write(png)
    report["png_bytes"] = len(png)

    # a table is an HTML table plus its text
    reply, msgs = run("load s/synth_manifest.json | count by label")
    results = of_type(msgs, "execute_result")
    assert len(results) == 1, msgs
    data = results[0]["data"]
    assert "<table" in data["text/html"] and "<td>A</td>" in data["text/html"], data["text/html"]
    assert data["text/plain"].splitlines()[0].split() == ["label", "count"], data["text/plain"]
    report["table_plain"] = data["text/plain"]

    # volatile lines (a timing) are a display marked volatile
    reply, msgs = run(":time echo hi")
    volatile = [c for c in of_type(msgs, "display_data") if c["metadata"].get("aslsh", {}).get("volatile")]
    assert len(volatile) == 1 and volatile[0]["data"]["text/plain"].startswith("time: "), msgs

    # train's epoch table: one volatile display, a row added in place as each epoch ends
    reply, msgs = run("synth --classes 'A B' --per-class 6 --out t --seed 1; "
                      "build t/synth_manifest.json --static --splits '0.5 0.25 0.25' --out d; "
                      "net = train d/train.npz --epochs 4 --out m")
    assert reply["status"] == "ok", reply
    tables = [m["content"] for m in msgs if m["msg_type"] in ("display_data", "update_display_data")
              and m["content"]["metadata"].get("aslsh", {}).get("volatile")]
    assert len({t["transient"]["display_id"] for t in tables}) == 1, tables
    assert [m["msg_type"] for m in msgs if m["content"] in tables][0] == "display_data"
    rows = [len(t["data"]["text/plain"].splitlines()) for t in tables]
    assert rows == [1, 2, 3, 4, 5], rows  # the header, then one more row per epoch
    assert tables[-1]["data"]["text/plain"].splitlines()[0].split()[:2] == ["epoch", "train_loss"], tables[-1]
    report["epoch_table_updates"] = len(tables) - 1

    # an error: an error message with the cell position, and an error reply
    reply, msgs = run("echo before\nlod s")
    assert reply["status"] == "error" and reply["evalue"] == "unknown command 'lod' (did you mean 'load'?)", reply
    errors = of_type(msgs, "error")
    assert len(errors) == 1 and errors[0]["evalue"] == reply["evalue"], msgs
    assert errors[0]["traceback"][0].startswith("In[8]:2:1: error"), errors[0]["traceback"]
    assert any(line.strip() == "^~~" for line in errors[0]["traceback"]), errors[0]["traceback"]
    report["traceback"] = errors[0]["traceback"]

    # complete and inspect from the command definitions
    kc.complete("x = tra", 7)
    completion = kc.get_shell_msg(timeout=10)["content"]
    assert "train" in completion["matches"] and completion["cursor_start"] == 4 and completion["cursor_end"] == 7, completion
    kc.complete("train d.npz --archi", 19)
    completion = kc.get_shell_msg(timeout=10)["content"]
    assert completion["matches"] == ["--architecture"], completion
    kc.complete("train d.npz --architecture l", 28)
    assert kc.get_shell_msg(timeout=10)["content"]["matches"] == ["lstm"]
    kc.inspect("net = train data.npz", 9)
    inspect = kc.get_shell_msg(timeout=10)["content"]
    assert inspect["found"] and "--architecture" in inspect["data"]["text/plain"], inspect
    report["inspect_first_line"] = inspect["data"]["text/plain"].splitlines()[0]
    kc.inspect("nothing_here", 3)
    assert not kc.get_shell_msg(timeout=10)["content"]["found"]

    # is_complete: the REPL's continuation rule
    for code, status in [("x = [1,", "incomplete"), ("load m.json |", "incomplete"), ("x = [1, 2]", "complete")]:
        kc.is_complete(code)
        got = kc.get_shell_msg(timeout=10)["content"]["status"]
        assert got == status, (code, got)

    # progress: a display that updates in place; interrupt by SIGINT stops the job, the kernel lives on
    def interrupted(interrupt):
        msg_id = kc.execute("sleep 30")
        progress_id, updates, start = None, 0, time.time()
        while True:
            msg = kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            content = msg["content"]
            if msg["msg_type"] == "display_data" and content["metadata"].get("aslsh", {}).get("progress"):
                progress_id = content["transient"]["display_id"]
            if msg["msg_type"] == "update_display_data" and content["transient"]["display_id"] == progress_id:
                updates += 1
                if updates == 3:
                    interrupt()
            if msg["msg_type"] == "status" and content["execution_state"] == "idle":
                break
        reply = kc.get_shell_msg(timeout=10)["content"]
        assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
        assert time.time() - start < 15, "the interrupt did not stop sleep 30"
        return updates

    report["progress_updates"] = interrupted(km.interrupt_kernel)  # interrupt_mode signal: SIGINT

    def control_interrupt():
        msg = kc.session.msg("interrupt_request", {})
        kc.control_channel.send(msg)
        reply = kc.control_channel.get_msg(timeout=10)
        assert reply["msg_type"] == "interrupt_reply" and reply["content"]["status"] == "ok", reply

    interrupted(control_interrupt)
    reply, msgs = run("echo alive x")
    assert reply["status"] == "ok" and stdout(msgs) == "alive 3\n", stdout(msgs)

    # malformed and unsigned messages: logged and answered with an error, the kernel lives on
    ctx = zmq.Context()
    raw = ctx.socket(zmq.DEALER)
    raw.setsockopt(zmq.RCVTIMEO, 5000)
    raw.connect("%s://%s:%d" % (km.transport, km.ip, km.shell_port))
    wrong = Session(key=b"not-the-key")
    header = wrong.msg_header("kernel_info_request")
    frames = [b"<IDS|MSG>", b""] + [json.dumps(x, default=str).encode() for x in (header, {}, {}, {})]
    frames[1] = wrong.sign(frames[2:6])
    raw.send_multipart(frames)
    answer = raw.recv_multipart()
    content = json.loads(answer[answer.index(b"<IDS|MSG>") + 5])
    assert content["status"] == "error" and content["evalue"] == "invalid signature", content
    assert json.loads(answer[answer.index(b"<IDS|MSG>") + 3])["msg_id"] == header["msg_id"], "the error reply names the request"
    frames[1] = b""
    raw.send_multipart(frames)
    answer = raw.recv_multipart()
    content = json.loads(answer[answer.index(b"<IDS|MSG>") + 5])
    assert content["status"] == "error" and content["evalue"].startswith("unsigned message"), content
    raw.send_multipart([b"garbage"])
    answer = raw.recv_multipart()
    assert json.loads(answer[answer.index(b"<IDS|MSG>") + 5])["status"] == "error"
    raw.send_multipart([b"<IDS|MSG>", b"x", b"{not json"])
    answer = raw.recv_multipart()
    assert json.loads(answer[answer.index(b"<IDS|MSG>") + 5])["status"] == "error"
    not_json = [b"{not json", b"{}", b"{}", b"{}"]
    raw.send_multipart([b"<IDS|MSG>", kc.session.sign(not_json)] + not_json)  # signed, but no header
    answer = raw.recv_multipart()
    content = json.loads(answer[answer.index(b"<IDS|MSG>") + 5])
    assert content["status"] == "error" and content["evalue"].startswith("a frame is not a JSON object"), content
    raw.close()
    reply, msgs = run("x")
    assert reply["status"] == "ok" and stdout(msgs) == "3\n", "the kernel still answers"

    # shutdown
    process = km.provisioner.process if getattr(km, "provisioner", None) else km.kernel
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    assert not km.is_alive()
    report["exit_status"] = process.returncode if hasattr(process, "returncode") else None

    with open(report_path, "w") as f:
        json.dump(report, f, indent=1)
    print("kernel_client: all requests answered")


try:
    main()
except BaseException:
    if km.is_alive():
        km.shutdown_kernel(now=True)
    raise
