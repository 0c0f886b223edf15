// The host's TSC rate. Under TCG a guest's RDTSC reads the host's TSC
// (QEMU's cpu_get_ticks: host ticks under one lock, never going back), so the
// guest's TSC runs at exactly this rate. Telling the guest spares it the PIT
// and HPET calibration, which under TCG fails and retries for about 0.3 s of
// every boot, and on microvm (no HPET) can fail outright and leave the guest
// without a usable clock.
#pragma once

namespace kreg {

// kHz, measured once per process against CLOCK_MONOTONIC_RAW; 0 when the host
// is not x86-64 or its /proc/cpuinfo lacks constant_tsc and nonstop_tsc (a
// TSC whose rate changes is no clock to hand a guest).
unsigned long host_tsc_khz();

}  // namespace kreg
