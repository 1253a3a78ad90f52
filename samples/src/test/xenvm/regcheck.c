/*
 * regcheck: does this machine keep a process's vector registers across
 * context switches? Loads known values into the SSE registers (and, where the
 * CPU and OS have AVX, the AVX ones), then spins for SECONDS checking they
 * are still there, and prints how many checks found them changed.
 *
 *   regcheck SECONDS      exit 0: never changed, 1: changed, 2: bad use
 *
 * The harness runs it in dom0 while guests are busy: Xen saves and restores
 * each vCPU's registers when it switches domains, and a machine that loses
 * them corrupts every program (memcpy, floating point) in ways no test of
 * ours could tell from a bug of ours.
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int os_has_avx(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AVX) || !(c & bit_OSXSAVE))
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* loads 0x11.. into xmm8, 0x22.. into xmm9 (and ymm upper halves), spins N
 * iterations, and returns nonzero if they differ from what was loaded */
static int spin_sse(long n)
{
    static const uint8_t a[16] __attribute__((aligned(16))) = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const uint8_t *p = a;
    int bad;
    __asm__ volatile(
        "movdqa (%1), %%xmm8\n\t"
        "movdqa %%xmm8, %%xmm9\n\t"
        "1:\n\t"
        "dec %2\n\t"
        "jnz 1b\n\t"
        "pcmpeqb %%xmm8, %%xmm9\n\t"
        "pmovmskb %%xmm9, %0\n\t"
        "movdqa (%1), %%xmm10\n\t"
        "pcmpeqb %%xmm8, %%xmm10\n\t"
        "pmovmskb %%xmm10, %%ecx\n\t"
        "and %%ecx, %0\n\t"
        : "=&r"(bad), "+r"(p), "+r"(n)
        :
        : "ecx", "xmm8", "xmm9", "xmm10", "cc");
    return bad != 0xffff;
}

__attribute__((target("avx")))
static int spin_avx(long n)
{
    static const uint8_t a[32] __attribute__((aligned(32))) = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    static uint8_t out[32] __attribute__((aligned(32)));
    const uint8_t *p = a;
    __asm__ volatile(
        "vmovdqa (%0), %%ymm8\n\t"
        "1:\n\t"
        "dec %1\n\t"
        "jnz 1b\n\t"
        "vmovdqa %%ymm8, (%2)\n\t"
        "vzeroupper\n\t"
        : "+r"(p), "+r"(n)
        : "r"(out)
        : "xmm8", "memory", "cc");
    for (int i = 0; i < 32; i++)
        if (out[i] != a[i])
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || atof(argv[1]) <= 0) {
        fprintf(stderr, "usage: regcheck SECONDS\n");
        return 2;
    }
    double end = now() + atof(argv[1]);
    int avx = os_has_avx();
    long checks = 0, sse_bad = 0, avx_bad = 0;
    while (now() < end) {
        sse_bad += spin_sse(2000000);
        if (avx)
            avx_bad += spin_avx(2000000);
        checks++;
    }
    printf("regcheck checks=%ld sse_changed=%ld avx=%s avx_changed=%ld\n", checks, sse_bad,
           avx ? "yes" : "no", avx_bad);
    return sse_bad || avx_bad;
}
