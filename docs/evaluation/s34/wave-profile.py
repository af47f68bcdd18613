#!/usr/bin/env python3
"""The samples of a `perf record -a -g` recording in the first 30 ms of each item's wave (found by
../s25/wave.py): per thread class the system calls (wave.py's `syscalls`), then the top 45 self
symbols (its `self_symbols`). Input: `perf script -F comm,tid,time,ip,sym,dso`.

usage: wave-profile.py SCRIPT
"""
import importlib.util, os, sys

spec = importlib.util.spec_from_file_location('wave', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../s25/wave.py'))
wave = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wave)

samples = wave.read(sys.argv[1], True)
chosen = wave.in_wave(samples, 0, 30)
print('samples in the recording', len(samples), '; in the waves (first 30 ms of each)', len(chosen))
wave.syscalls(chosen)
wave.self_symbols(chosen, 45)
