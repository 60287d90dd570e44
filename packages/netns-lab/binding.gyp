{
  # Standalone executables (not addons): the lab's traffic tools and its kernel probe. node-gyp
  # builds them into build/Release/mcr-send, mcr-recv, mcr-observe and mcr-probe; they link nothing from Node.
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O3"],
    "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fexceptions"],
    "cflags!": ["-O3"],
    "cflags": ["-O2"],
    "include_dirs": ["native"],
    # The limits of the tools' flags that the TypeScript side checks too, stated once in
    # native/tool-limits.json (src/traffic/tool-limits.ts reads it): MCR_PAYLOAD_MIN=64 and so on.
    "defines": ["<!@(node native/tool-limits-defines.mjs)"]
  },
  "targets": [
    {
      "target_name": "mcr-send",
      "type": "executable",
      "sources": ["native/mcr_send.cc", "native/payload.cc", "native/cli_util.cc", "native/raw_frame.cc"]
    },
    {
      "target_name": "mcr-recv",
      "type": "executable",
      "sources": ["native/mcr_recv.cc", "native/payload.cc", "native/cli_util.cc", "native/stream_stats.cc"]
    },
    {
      "target_name": "mcr-observe",
      "type": "executable",
      "sources": ["native/mcr_observe.cc", "native/payload.cc", "native/cli_util.cc"]
    },
    {
      "target_name": "mcr-probe",
      "type": "executable",
      "sources": ["native/mcr_probe.cc", "native/cli_util.cc"]
    }
  ]
}
