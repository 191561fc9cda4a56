#!/usr/bin/env bash
# Regenerates the bundled inputs of the animate demo (.runpod/tests.json): samples/still.png, a
# 640×360 picture with detail on one side (a test pattern beside a plain wall), and
# samples/tone.m4a, 4 s of pulsing tones (AAC). Both are made from ffmpeg's own sources: no
# third-party material. Uses whichever ffmpeg is given (default: the one on PATH).
set -euo pipefail
FFMPEG=${FFMPEG:-ffmpeg}
dir=${1:-"$(dirname "$0")/../samples"}
"$FFMPEG" -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=0x6b7f94:s=640x360:d=1" -f lavfi -i "testsrc2=s=300x220:d=1" \
  -filter_complex "[0:v][1:v]overlay=x=320:y=70,format=rgb24[v]" -map "[v]" -frames:v 1 "$dir/still.png"
"$FFMPEG" -hide_banner -loglevel error -y \
  -f lavfi -i "sine=f=220:d=4" -f lavfi -i "sine=f=330:d=4" \
  -filter_complex "[0:a][1:a]amix=inputs=2,volume='0.2+0.8*gt(mod(t,1),0.5)':eval=frame,aformat=channel_layouts=stereo[a]" \
  -map "[a]" -c:a aac -b:a 96k "$dir/tone.m4a"
