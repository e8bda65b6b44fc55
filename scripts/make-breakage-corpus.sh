#!/usr/bin/env bash
# Makes Tests/Fixtures/breakage: small files reproducing input that breaks pipelines in the wild
# (bad MS-ASL/WLASL records, label files with a BOM, CRLF or duplicates, NaN landmark arrays,
# empty/HTML "videos", audio-only, variable frame rate, rotated and odd-sized videos).
# The tests read the committed files; this script is how they were made (run it again to remake
# them). Needs /usr/bin/ffmpeg and python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=Tests/Fixtures/breakage
FFMPEG=${FFMPEG:-/usr/bin/ffmpeg}
PYTHON=${PYTHON:-/usr/bin/python3}
rm -rf "$OUT"
mkdir -p "$OUT"/{metadata,labels,landmarks,videos}

# ---- metadata and label files (Python writes NaN for a NaN float, as MS-ASL converters do) ----
"$PYTHON" - "$OUT" <<'PY'
import json, os, struct, sys
out = sys.argv[1]
def write(rel, text, bom=False, crlf=False):
    if crlf: text = text.replace("\n", "\r\n")
    with open(os.path.join(out, rel), "wb") as f:
        f.write((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))

def msasl(url, label=0, start=0.0, end=1.0, **extra):
    r = {"url": url, "label": label, "start_time": start, "end_time": end, "signer_id": 1,
         "box": [0.1, 0.2, 0.9, 0.8], "fps": 30.0, "text": "hello"}
    for k, v in extra.items():
        if v is None: r.pop(k, None)
        else: r[k] = v
    return r
nan = float("nan")
records = [
    msasl("https://www.youtube.com/watch?v=aaaaaaaaaaa"),                       # 0 kept
    msasl("www.youtube.com/watch?v=bbbbbbbbbbb", label=1),                       # 1 kept: https:// added
    msasl("https://www.youtube.com/watch?v=ccccccccccc&list=PL0123456789"),     # 2 kept: a video in a playlist
    msasl("https://www.youtube.com/watch?v=ddddddddddd", start_time=None),      # 3 missing start_time
    msasl("https://www.youtube.com/watch?v=eeeeeeeeeee", end_time=None),        # 4 missing end_time
    msasl("https://www.youtube.com/watch?v=fffffffffff", start=-0.5),           # 5 negative start_time
    msasl("https://www.youtube.com/watch?v=ggggggggggg", start=nan),            # 6 NaN start_time
    msasl("https://www.youtube.com/watch?v=hhhhhhhhhhh", end=float("inf")),     # 7 Infinity end_time
    msasl("https://www.youtube.com/watch?v=iiiiiiiiiii", start=2.0, end=1.0),   # 8 end before start
    msasl("https://www.youtube.com/watch?v=jjjjjjjjjjj", start=1.0, end=1.0),   # 9 empty span
    msasl(""),                                                                   # 10 empty url
    msasl("   "),                                                                # 11 blank url
    msasl("https://www.youtube.com/playlist?list=PL0123456789"),                # 12 playlist
    msasl("-o/tmp/aslsh-pwned --exec touch"),                                   # 13 starts with '-'
    msasl("--version"),                                                          # 14 starts with '-'
    msasl("file:///etc/passwd"),                                                 # 15 not http(s)
    msasl("https://www.youtube.com/watch?v=kkkkkkkkkkk", fps=nan, box=[nan, 0, 1, 1]),  # 16 kept, NaN fps/box dropped
    msasl("https://www.youtube.com/watch?v=lllllllllll", start="1.5", end="2.5"),       # 17 kept: numbers as text
]
write("metadata/MSASL_breakage.json", json.dumps(records, indent=1))
write("metadata/MSASL_classes_bom_crlf.json", json.dumps(["hello", "world"], indent=1) + "\n", bom=True, crlf=True)
write("metadata/MSASL_classes_duplicate.json", json.dumps(["hello", "world", "hello"]))
write("metadata/MSASL_classes_null.json", json.dumps(["hello", None, "world"]))

def instance(vid, url, start=1, end=-1, **extra):
    r = {"video_id": vid, "url": url, "frame_start": start, "frame_end": end, "fps": 25,
         "signer_id": 3, "split": "train", "bbox": [10, 20, 30, 40], "source": "test"}
    r.update(extra)
    return r
wlasl = [
    {"gloss": "book", "instances": [
        instance("00001", "http://example.com/book.mp4"),                                   # 0 to the end
        instance("00002", "http://example.com/book_flash.swf", start=5, end=29),            # 1 .swf kept
        instance("00003", "https://www.youtube.com/watch?v=mmmmmmmmmmm", start=0, end=10),  # 2 frame_start 0
        instance("00004", "https://www.youtube.com/watch?v=nnnnnnnnnnn", start=20, end=10), # 3 end before start
        instance("00005", "http://example.com/b.mp4", end=-2),                               # 4 frame_end -2
        instance("00006", "http://example.com/c.mp4", fps=nan),                              # 5 NaN fps → 25
        instance("00007", "-x http://example.com/d.mp4"),                                    # 6 starts with '-'
    ]},
    {"gloss": "drink", "instances": [
        instance("00008", "www.example.com/drink.mp4", start=3, end=-1),                     # 7 to the end, https:// added
    ]},
]
write("metadata/WLASL_breakage.json", json.dumps(wlasl, indent=1))
write("metadata/wlasl_class_list_bom_crlf.txt", "0\tbook\n1\tdrink\n\n", bom=True, crlf=True)
write("metadata/wlasl_class_list_duplicate.txt", "0\tbook\n1\tdrink\n1\tcomputer\n")
write("metadata/wlasl_class_list_gap.txt", "0\tbook\n2\tcomputer\n")
write("metadata/nslt_2.json", json.dumps({"00001": {"subset": "train", "action": [1, 1, -1]},
                                          "00008": {"subset": "val", "action": [0, 3, 40]}}))

# Label files: the hand-gesture-recognition label CSV as published (BOM, CRLF), with a
# duplicate, with a blank line inside; a clip label CSV with a BOM, CRLF and a repeated row.
write("labels/keypoint_labels_bom_crlf.csv", "Open\nClose\nPointer\n", bom=True, crlf=True)
write("labels/keypoint_labels_duplicate.csv", "Open\nClose\nOpen\n", bom=True, crlf=True)
write("labels/keypoint_labels_blank_line.csv", "Open\n\nClose\n", crlf=True)
write("labels/clips_bom_crlf_duplicate.csv",
      "file,label,signer\n../landmarks/good.npy,hello,1\n../landmarks/nan_frame2.npy,hello,1\n"
      "../landmarks/inf_frame4.npy,world,2\n../landmarks/good.npy,hello,1\n", bom=True, crlf=True)
write("labels/clips_conflicting_duplicate.csv",
      "file,label\n../landmarks/good.npy,hello\n../landmarks/good.npy,world\n")

# Landmark arrays: a plausible hand moving right, float32 [5, 21, 3]; one frame NaN, one +Inf.
def npy(rel, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{n}, " for n in shape).rstrip(" ")
    header = header.ljust(64 * ((len(header) + 11) // 64 + 1) - 11) + "\n"
    with open(os.path.join(out, rel), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % len(values), *values))
def hand(t, dx=0.0):
    return [v for j in range(21) for v in (0.4 + 0.01 * j + 0.02 * t + dx, 0.7 - 0.015 * j, -0.002 * j)]
good = [v for t in range(5) for v in hand(t)]
npy("landmarks/good.npy", (5, 21, 3), good)
bad = list(good); bad[2 * 63 + 7 * 3 + 1] = nan
npy("landmarks/nan_frame2.npy", (5, 21, 3), bad)
bad = list(good); bad[4 * 63 + 20 * 3 + 2] = float("inf")
npy("landmarks/inf_frame4.npy", (5, 21, 3), bad)
# Per-frame sequence (left 63 + right 63): frame 1's left hand NaN, frame 2's right hand -Inf.
for t in range(4):
    left, right = hand(t), hand(t, 0.3)
    if t == 1: left[5] = nan
    if t == 2: right[0] = float("-inf")
    os.makedirs(os.path.join(out, "landmarks/sequences/hello/0"), exist_ok=True)
    npy(f"landmarks/sequences/hello/0/{t}.npy", (126,), left + right)
PY

# ---- videos (tiny: a few KB each) ----
ff() { "$FFMPEG" -hide_banner -loglevel error -y "$@"; }
V=$OUT/videos
: > "$V/zero.mp4"
printf '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Video not found</h1></body></html>\n' > "$V/html.mp4"
ff -f lavfi -i "sine=frequency=440:duration=0.5" -c:a aac -b:a 16k "$V/audio_only.mp4"
# Variable frame rate: frames at 0, .1, .2, .3, .4, then .65, .9, 1.15 s.
ff -f lavfi -i "testsrc2=size=32x24:rate=10" -frames:v 8 \
   -vf "settb=1/1000,setpts='if(lt(N,5),N*0.1,0.4+(N-4)*0.25)/TB'" -fps_mode passthrough -enc_time_base 1/1000 -video_track_timescale 1000 \
   -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$V/vfr.mp4"
# A phone's portrait clip: 32×16 pixels as stored, with a display matrix turning them 90° clockwise.
ff -f lavfi -i "testsrc2=size=32x16:rate=10" -frames:v 3 -c:v libx264 -preset ultrafast -pix_fmt yuv444p -qp 0 "$V/.stored.mp4"
ff -i "$V/.stored.mp4" -c copy -metadata:s:v:0 rotate=90 "$V/rotated90.mp4"
rm -f "$V/.stored.mp4"
# Odd sizes: 4:4:4 lets H.264 store any size.
ff -f lavfi -i "testsrc2=size=64x32:rate=10" -frames:v 3 -vf "format=yuv444p,scale=33:17" -c:v libx264 -preset ultrafast -pix_fmt yuv444p "$V/odd_33x17.mp4"
ff -f lavfi -i "color=c=red:size=2x2:rate=10" -frames:v 3 -vf "format=yuv444p,scale=1:1" -c:v libx264 -preset ultrafast -pix_fmt yuv444p "$V/tiny_1x1.mp4"
# WLASL's Flash links: an .swf holding FLV1 video, which FFmpeg's swf demuxer reads.
ff -f lavfi -i "testsrc2=size=32x24:rate=10" -frames:v 5 -c:v flv1 "$V/flash.swf"
du -sh "$OUT"
