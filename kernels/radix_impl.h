/*
 * radix_impl.h: the body of radix.c for one key type, included once per
 * type with RADIX_KT (the key type) and RADIX_FN(name) (the name with the
 * type's suffix) defined. Not a header to include anywhere else.
 */
static void RADIX_FN(insertion)(int64_t n, RADIX_KT *key, int32_t *val)
{
    for (int64_t i = 1; i < n; i++) {
        const RADIX_KT k = key[i];
        const int32_t v = val != NULL ? val[i] : 0;
        int64_t j = i;
        while (j > 0 && key[j - 1] > k) {
            key[j] = key[j - 1];
            if (val != NULL)
                val[j] = val[j - 1];
            j--;
        }
        key[j] = k;
        if (val != NULL)
            val[j] = v;
    }
}

static void RADIX_FN(count)(const RADIX_KT *key, int64_t lo, int64_t hi,
                            int shift, int64_t *h)
{
    memset(h, 0, AM_RADIX_DIGITS * sizeof *h);
    for (int64_t i = lo; i < hi; i++)
        h[(key[i] >> shift) & RADIX_MASK]++;
}

static void RADIX_FN(scatter)(const RADIX_KT *key, const int32_t *val,
                              int64_t lo, int64_t hi, int shift, int64_t *h,
                              RADIX_KT *ko, int32_t *vo)
{
    if (val != NULL) {
        for (int64_t i = lo; i < hi; i++) {
            const int64_t p = h[(key[i] >> shift) & RADIX_MASK]++;
            ko[p] = key[i];
            vo[p] = val[i];
        }
    } else {
        for (int64_t i = lo; i < hi; i++)
            ko[h[(key[i] >> shift) & RADIX_MASK]++] = key[i];
    }
}

int RADIX_FN(am_radix_sort)(int64_t n, RADIX_KT *key, int32_t *val,
                            RADIX_KT *key_tmp, int32_t *val_tmp, int nt,
                            int64_t *hist)
{
    if (n <= AM_RADIX_SMALL) {
        RADIX_FN(insertion)(n, key, val);
        return 0;
    }
    RADIX_KT all_or = 0, all_and = (RADIX_KT) ~(RADIX_KT)0;
    for (int64_t i = 0; i < n; i++) {
        all_or |= key[i];
        all_and &= key[i];
    }
    const RADIX_KT varies = all_or ^ all_and;
    RADIX_KT *ka = key, *kb = key_tmp;
    int32_t *va = val, *vb = val != NULL ? val_tmp : NULL;
    int in_tmp = 0;
    for (int shift = 0; shift < (int)(8 * sizeof(RADIX_KT)); shift += 8) {
        if (((varies >> shift) & RADIX_MASK) == 0)
            continue;
        if (nt <= 1) {
            RADIX_FN(count)(ka, 0, n, shift, hist);
            prefix_slots(hist, 1);
            RADIX_FN(scatter)(ka, va, 0, n, shift, hist, kb, vb);
        } else {
#pragma omp parallel num_threads(nt) default(none)                             \
    shared(n, ka, va, kb, vb, hist, shift)
            {
                const int c = omp_get_thread_num();
                const int nch = omp_get_num_threads();
                int64_t lo, hi;
                chunk_of(n, c, nch, &lo, &hi);
                int64_t *h = hist + (size_t)c * AM_RADIX_DIGITS;
                RADIX_FN(count)(ka, lo, hi, shift, h);

#pragma omp barrier
#pragma omp single
                prefix_slots(hist, nch);
                RADIX_FN(scatter)(ka, va, lo, hi, shift, h, kb, vb);
            }
        }
        RADIX_KT *kt = ka;
        ka = kb;
        kb = kt;
        int32_t *vt = va;
        va = vb;
        vb = vt;
        in_tmp = !in_tmp;
    }
    return in_tmp;
}
