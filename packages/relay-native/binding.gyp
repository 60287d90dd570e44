{
  "targets": [
    {
      "target_name": "mcr_native",
      "sources": [
        "src/addon.cc",
        "src/data_plane_worker.cc",
        "src/membership_socket.cc",
        "src/listener_socket.cc",
        "src/listener_wire.cc",
        "src/listener_filter.cc",
        "src/datagram_socket.cc",
        "src/datagram_wire.cc",
        "src/datagram_filter.cc",
        "src/frame_parser.cc",
        "src/rule_table.cc",
        "src/listener_gates.cc",
        "src/egress.cc",
        "src/bench_hot_path.cc",
        "src/util/errors.cc",
        "src/rule_spec.cc",
        "src/tx_sockets.cc",
        "src/packet_ring.cc",
        "src/file_lock.cc",
        "src/ingress_filter.cc",
        "src/outgoing_probe.cc",
        "src/tc_engine.cc",
        "src/reference_outputs.cc",
        "src/util/ip_header.cc",
        "src/util/packet_reader.cc"
      ],
      "actions": [
        {
          "action_name": "relay_tc_bpf",
          "inputs": ["src/bpf/relay_tc.bpf.c", "src/bpf/tc_abi.h", "tools/build-bpf.sh"],
          "outputs": ["<(SHARED_INTERMEDIATE_DIR)/relay_tc.bpf.o", "<(SHARED_INTERMEDIATE_DIR)/relay_tc.skel.h"],
          "action": ["sh", "tools/build-bpf.sh", "src/bpf/relay_tc.bpf.c", "<@(_outputs)"]
        }
      ],
      "libraries": ["-lbpf"],
      "include_dirs": ["src", "<(SHARED_INTERMEDIATE_DIR)", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags!": ["-fno-exceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_cc": ["-O2", "-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
