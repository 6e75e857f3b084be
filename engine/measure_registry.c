/*
 * measure_registry.c: the table of measures (see measure_registry.h).
 *
 * Papers (formulas in kernels/fca.c, definitions in docs/scenario.md):
 *  - 2SFCA: Luo W, Wang F (2003) Measures of spatial accessibility to
 *    health care in a GIS environment. Environment and Planning B
 *    30(6):865-884.
 *  - E2SFCA: Luo W, Qi Y (2009) An enhanced two-step floating catchment
 *    area (E2SFCA) method for measuring spatial accessibility to primary
 *    care physicians. Health & Place 15(4):1100-1107.
 *  - KD2SFCA: Dai D (2010) Black residential segregation, disparities in
 *    spatial access to health care facilities, and late-stage breast
 *    cancer diagnosis in metropolitan Detroit. Health & Place
 *    16(5):1038-1052.
 *  - 3SFCA: Wan N, Zou B, Sternberg T (2012) A three-step floating
 *    catchment area method for analyzing spatial access to health
 *    services. International Journal of Geographical Information Science
 *    26(6):1073-1089.
 *  - M2SFCA: Delamater PL (2013) Spatial accessibility in suboptimally
 *    configured health care systems: a modified two-step floating
 *    catchment area (M2SFCA) metric. Health & Place 24:30-43.
 *  - BFCA: Paez A, Higgins CD, Vivona SF (2019) Demand and level of
 *    service inflation in floating catchment area (FCA) methods. PLoS ONE
 *    14(6):e0218773.
 *  - Spatial availability: Soukhov A, Paez A, Higgins CD, Mohamed M (2023)
 *    Introducing spatial availability, a singly-constrained measure of
 *    competitive accessibility. PLoS ONE 18(1):e0278468.
 *  - Gravity potential: Hansen WG (1959) How accessibility shapes land
 *    use. Journal of the American Institute of Planners 25(2):73-76.
 *  - Capacity-aware coverage (kernels/allocation.c, docs/coverage.md):
 *    balanced FCA shares (Paez et al. 2019), proportional or balanced to a
 *    capacity-constrained fixed point.
 */
#include "engine/measure_registry.h"

#include "engine/scenario.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/strutil.h"
#include "common/units.h"

_Static_assert((int)AM_DECAY_KIND_STEP == (int)AM_DECAY_STEP &&
                   (int)AM_DECAY_KIND_ZONES == (int)AM_DECAY_ZONES &&
                   (int)AM_DECAY_KIND_DAI_GAUSSIAN ==
                       (int)AM_DECAY_DAI_GAUSSIAN &&
                   (int)AM_DECAY_KIND_GAUSSIAN == (int)AM_DECAY_GAUSSIAN &&
                   (int)AM_DECAY_KIND_EXPONENTIAL ==
                       (int)AM_DECAY_EXPONENTIAL &&
                   (int)AM_DECAY_KIND_POWER == (int)AM_DECAY_POWER &&
                   (int)AM_DECAY_KIND_LINEAR == (int)AM_DECAY_LINEAR &&
                   (int)AM_DECAY_KIND_LOGISTIC == (int)AM_DECAY_LOGISTIC,
               "the public decay kinds mirror kernels/decay.h");
_Static_assert(AM_DECAY_SPEC_MAX_ZONES == AM_DECAY_MAX_ZONES,
               "the public zone table mirrors kernels/decay.h");

#define CITE_2SFCA                                                             \
    "Luo W, Wang F (2003) Measures of spatial accessibility to health care "   \
    "in a GIS environment. Environment and Planning B 30(6):865-884"
#define FORMULA_2SFCA                                                          \
    "D_j = sum_i P_i f(t_ij); R_j = S_j / D_j (undefined, NaN, when D_j = "    \
    "0); A_i = sum_{j: D_j > 0} R_j f(t_ij)"
#define SMOOTH                                                                 \
    (AM_DECAY_ANY & ~AM_DECAY_BIT(0) & ~AM_DECAY_BIT(AM_DECAY_DAI_GAUSSIAN))

static const am_measure_info table[] = {
    {AM_MEASURE_TYPE_2SFCA, "2sfca", AM_FCA_2SFCA,
     AM_MP_THRESHOLD | AM_MP_DECAY, 0, AM_DECAY_ANY, AM_DECAY_STEP,
     AM_DECAY_STEP, 1, "2SFCA accessibility (capacity per person)",
     "capacity per person", FORMULA_2SFCA, CITE_2SFCA},
    {AM_MEASURE_TYPE_E2SFCA, "e2sfca", AM_FCA_2SFCA, AM_MP_DECAY, 0,
     AM_DECAY_BIT(AM_DECAY_ZONES), AM_DECAY_ZONES, 0, 1,
     "E2SFCA accessibility (capacity per person)", "capacity per person",
     FORMULA_2SFCA " with f the travel-time zones' weights",
     "Luo W, Qi Y (2009) An enhanced two-step floating catchment area "
     "(E2SFCA) method for measuring spatial accessibility to primary care "
     "physicians. Health & Place 15(4):1100-1107"},
    {AM_MEASURE_TYPE_KD2SFCA, "kd2sfca", AM_FCA_2SFCA, AM_MP_THRESHOLD, 0, 0,
     AM_DECAY_DAI_GAUSSIAN, AM_DECAY_DAI_GAUSSIAN, 1,
     "KD2SFCA accessibility (capacity per person)", "capacity per person",
     FORMULA_2SFCA " with f(t) = (exp(-(t/d0)^2/2) - exp(-1/2)) / (1 - "
                   "exp(-1/2)) for t <= d0",
     "Dai D (2010) Black residential segregation, disparities in spatial "
     "access to health care facilities, and late-stage breast cancer "
     "diagnosis in metropolitan Detroit. Health & Place 16(5):1038-1052"},
    {AM_MEASURE_TYPE_3SFCA, "3sfca", AM_FCA_3SFCA,
     AM_MP_THRESHOLD | AM_MP_DECAY, 0, AM_DECAY_ANY, AM_DECAY_STEP,
     AM_DECAY_STEP, 1, "3SFCA accessibility (capacity per person)",
     "capacity per person",
     "G_ij = f(t_ij) / sum_k f(t_ik); D_j = sum_i G_ij f(t_ij) P_i; R_j = "
     "S_j / D_j; A_i = sum_j G_ij f(t_ij) R_j",
     "Wan N, Zou B, Sternberg T (2012) A three-step floating catchment area "
     "method for analyzing spatial access to health services. International "
     "Journal of Geographical Information Science 26(6):1073-1089"},
    {AM_MEASURE_TYPE_M2SFCA, "m2sfca", AM_FCA_M2SFCA,
     AM_MP_THRESHOLD | AM_MP_DECAY, 0, AM_DECAY_ANY, AM_DECAY_STEP,
     AM_DECAY_STEP, 1, "M2SFCA accessibility (capacity per person)",
     "capacity per person",
     "D_j = sum_i P_i f(t_ij); R_j = S_j / D_j; A_i = sum_j R_j f(t_ij)^2",
     "Delamater PL (2013) Spatial accessibility in suboptimally configured "
     "health care systems: a modified two-step floating catchment area "
     "(M2SFCA) metric. Health & Place 24:30-43"},
    {AM_MEASURE_TYPE_BFCA, "bfca", AM_FCA_BFCA, AM_MP_THRESHOLD | AM_MP_DECAY,
     0, AM_DECAY_ANY, AM_DECAY_STEP, AM_DECAY_STEP, 1,
     "balanced FCA: the cell's share of the facilities' level of service "
     "(sum over cells = sum_j R_j; not a level per person)",
     "capacity per person, split among the catchment's cells",
     "Wi_ij = f(t_ij) / sum_k f(t_ik); Wj_ij = f(t_ij) / sum_k f(t_kj); D_j "
     "= sum_i P_i Wi_ij; R_j = S_j / D_j; A_i = sum_j R_j Wj_ij",
     "Paez A, Higgins CD, Vivona SF (2019) Demand and level of service "
     "inflation in floating catchment area (FCA) methods. PLoS ONE "
     "14(6):e0218773"},
    {AM_MEASURE_TYPE_SPAV, "spav", AM_FCA_SPAV,
     AM_MP_THRESHOLD | AM_MP_DECAY | AM_MP_ALPHA, 0, AM_DECAY_ANY,
     AM_DECAY_STEP, AM_DECAY_STEP, 0,
     "spatial availability (capacity allocated to the cell)", "capacity",
     "V_i = sum_j S_j P_i^alpha f(t_ij) / sum_k P_k^alpha f(t_kj); the per "
     "person value v_i = V_i / P_i",
     "Soukhov A, Paez A, Higgins CD, Mohamed M (2023) Introducing spatial "
     "availability, a singly-constrained measure of competitive "
     "accessibility. PLoS ONE 18(1):e0278468"},
    {AM_MEASURE_TYPE_GRAVITY, "gravity", AM_FCA_GRAVITY, AM_MP_DECAY,
     AM_MP_DECAY, AM_DECAY_ANY, 0, 0, 0,
     "gravity potential (capacity weighted by the decay)", "capacity",
     "G_i = sum_j S_j f(t_ij)",
     "Hansen WG (1959) How accessibility shapes land use. Journal of the "
     "American Institute of Planners 25(2):73-76"},
    {AM_MEASURE_TYPE_CUMULATIVE, "cumulative", AM_FCA_GRAVITY, AM_MP_THRESHOLD,
     0, 0, AM_DECAY_STEP, AM_DECAY_STEP, 0,
     "cumulative opportunities (capacity within the threshold)", "capacity",
     "C_i = sum_{j: t_ij <= T} S_j",
     "Hansen WG (1959) How accessibility shapes land use. Journal of the "
     "American Institute of Planners 25(2):73-76"},
    {AM_MEASURE_TYPE_NEAREST_N, "nearest_n", AM_FCA_NTH_NEAREST,
     AM_MP_THRESHOLD | AM_MP_N, 0, 0, AM_DECAY_STEP, AM_DECAY_STEP, 0,
     "travel time to the n-th nearest facility", "minutes",
     "the n-th smallest t_ij over the facilities within the threshold "
     "(ties count as distinct facilities)",
     "travel time along the road network (demand -> facility)"},
    {AM_MEASURE_TYPE_CAPACITY_COVERAGE, "capacity_coverage", AM_FCA_ALLOCATION,
     AM_MP_THRESHOLD | AM_MP_DECAY | AM_MP_PERSONS | AM_MP_ALLOCATION, 0,
     AM_DECAY_ANY, AM_DECAY_STEP, AM_DECAY_STEP, 0,
     "share of the cell's population served within capacity", "1",
     "a_ij = f(t_ij) g_j / sum_l f(t_il) g_l; D_j = sum_i P_i a_ij; "
     "sigma_j = min(1, k S_j / D_j); served_i = P_i sum_j a_ij sigma_j; "
     "value = served_i / P_i; proportional: g = 1; fixed_point: g_j = "
     "min(1, k S_j / D_j(g)) (docs/coverage.md)",
     "Paez A, Higgins CD, Vivona SF (2019) Demand and level of service "
     "inflation in floating catchment area (FCA) methods. PLoS ONE "
     "14(6):e0218773 (the shares); accessim docs/coverage.md (the "
     "capacity-constrained fixed point)"},
};
#define N_TYPES ((int)(sizeof table / sizeof table[0]))

static const char *const decay_names[] = {
    NULL,          "step",  "zones",  "dai_gaussian", "gaussian",
    "exponential", "power", "linear", "logistic"};
#define N_DECAYS ((int)(sizeof decay_names / sizeof decay_names[0]))

static const char *const decay_formulas[] = {
    NULL,
    "f(t) = 1 for t <= T",
    "f(t) = w_k for u_{k-1} < t <= u_k (u_0 = 0; the first zone includes 0)",
    "f(t) = (exp(-(t/T)^2/2) - exp(-1/2)) / (1 - exp(-1/2)) for t <= T",
    "f(t) = exp(-t^2 / (2 sigma^2))",
    "f(t) = exp(-beta t)",
    "f(t) = max(t, t_min)^(-beta)",
    "f(t) = 1 - t/T for t <= T",
    "f(t) = 1 / (1 + exp(pi (t - t_half) / (sqrt(3) sd)))"};

const am_measure_info *am_measure_info_of(am_measure_type type)
{
    for (int i = 0; i < N_TYPES; i++)
        if (table[i].type == type)
            return &table[i];
    return NULL;
}

const am_measure_info *am_measure_info_named(const char *name)
{
    for (int i = 0; name != NULL && i < N_TYPES; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const am_measure_info *am_measure_infos(int *n)
{
    *n = N_TYPES;
    return table;
}

int am_measure_has_supply_identity(const am_measure_info *info)
{
    return info != NULL &&
           (info->method == AM_FCA_2SFCA || info->method == AM_FCA_3SFCA);
}

const char *am_measure_type_list(void)
{
    return "2sfca, e2sfca, kd2sfca, 3sfca, m2sfca, bfca, spav, gravity, "
           "cumulative, nearest_n, capacity_coverage";
}

static const char *closest(const char *name, const char *const *names, int n)
{
    const char *best = NULL;
    size_t d_best = 3; /* within 2 edits */
    for (int i = 0; name != NULL && i < n; i++) {
        if (names[i] == NULL)
            continue;
        size_t d = am_edit_distance(name, names[i]);
        if (d < d_best) {
            d_best = d;
            best = names[i];
        }
    }
    return best;
}

const char *am_measure_type_suggest(const char *name)
{
    const char *names[N_TYPES];
    for (int i = 0; i < N_TYPES; i++)
        names[i] = table[i].name;
    return closest(name, names, N_TYPES);
}

am_decay_type am_decay_type_named(const char *name)
{
    for (int i = 1; name != NULL && i < N_DECAYS; i++)
        if (strcmp(decay_names[i], name) == 0)
            return (am_decay_type)i;
    return (am_decay_type)0;
}

const char *am_decay_type_name(am_decay_type t)
{
    return (int)t >= 1 && (int)t < N_DECAYS ? decay_names[t] : NULL;
}

const char *am_decay_type_list(void)
{
    return "step, zones, dai_gaussian, gaussian, exponential, power, linear, "
           "logistic";
}

const char *am_decay_type_suggest(const char *name)
{
    return closest(name, decay_names, N_DECAYS);
}

const char *am_decay_formula(am_decay_type t)
{
    return (int)t >= 1 && (int)t < N_DECAYS ? decay_formulas[t] : "";
}

void am_decay_keys(am_decay_type t, unsigned *takes, unsigned *requires)
{
    unsigned tk = 0, rq = 0;
    switch (t) {
    case AM_DECAY_STEP:
    case AM_DECAY_DAI_GAUSSIAN:
    case AM_DECAY_LINEAR:
        tk = rq = AM_DK_CUTOFF;
        break;
    case AM_DECAY_ZONES:
        tk = rq = AM_DK_ZONES;
        break;
    case AM_DECAY_GAUSSIAN:
        tk = AM_DK_SIGMA | AM_DK_CUTOFF;
        rq = AM_DK_SIGMA;
        break;
    case AM_DECAY_EXPONENTIAL:
        tk = AM_DK_BETA | AM_DK_CUTOFF;
        rq = AM_DK_BETA;
        break;
    case AM_DECAY_POWER:
        tk = AM_DK_BETA | AM_DK_TMIN | AM_DK_CUTOFF;
        rq = AM_DK_BETA | AM_DK_TMIN;
        break;
    case AM_DECAY_LOGISTIC:
        tk = AM_DK_THALF | AM_DK_SD | AM_DK_CUTOFF;
        rq = AM_DK_THALF | AM_DK_SD;
        break;
    }
    *takes = tk;
    *requires = rq;
}

void am_decay_luo_qi(am_decay *d)
{
    memset(d, 0, sizeof *d);
    d->type = AM_DECAY_ZONES;
    d->n_zones = 3;
    d->zone_upper_min[0] = 10.0;
    d->zone_upper_min[1] = 20.0;
    d->zone_upper_min[2] = 30.0;
    d->zone_weight[0] = 1.0;
    d->zone_weight[1] = 0.68;
    d->zone_weight[2] = 0.22;
    d->cutoff_min = 30.0;
}

/* A time limit (common/units.h, am_minutes_limit): > 0, <= 24 h and at
 * least 0.1 s once rounded; its whole deciseconds into *ds. */
static int limit_minutes(double v, uint32_t *ds)
{
    char why[AM_MINUTES_WHY_MAX];
    return am_minutes_limit(v, AM_MAX_CUTOFF_MIN, 0, ds, why, sizeof why) ==
           NULL;
}

const char *am_decay_spec_problem(const am_decay_spec *d)
{
    unsigned takes = 0, req = 0;
    if ((int)d->type < 1 || (int)d->type >= N_DECAYS)
        return "unknown decay type";
    am_decay_keys((am_decay_type)d->type, &takes, &req);
    if (d->cutoff_min != 0.0 && !(takes & AM_DK_CUTOFF))
        return "cutoff_min is not a parameter of this decay";
    if ((req & AM_DK_CUTOFF) && d->cutoff_min == 0.0)
        return "cutoff_min is required";
    uint32_t ds = 0, prev_ds = 0;
    if (d->cutoff_min != 0.0 && !limit_minutes(d->cutoff_min, &ds))
        return "cutoff_min must be > 0 and <= 1440 minutes (24 h), and at "
               "least 0.1 s";
    if ((takes & AM_DK_SIGMA) && !(isfinite(d->sigma_min) && d->sigma_min > 0))
        return "sigma_min must be > 0";
    if ((takes & AM_DK_BETA) && !(isfinite(d->beta) && d->beta > 0))
        return "beta must be > 0";
    if ((takes & AM_DK_TMIN) && !(isfinite(d->t_min) && d->t_min > 0))
        return "t_min must be > 0";
    if (d->type == AM_DECAY_KIND_POWER && !isfinite(pow(d->t_min, -d->beta)))
        return "t_min^(-beta), the weight at t <= t_min, overflows: raise "
               "t_min or lower beta";
    if ((takes & AM_DK_THALF) &&
        !(isfinite(d->t_half_min) && d->t_half_min >= 0))
        return "t_half_min must be >= 0";
    if ((takes & AM_DK_SD) && !(isfinite(d->sd_min) && d->sd_min > 0))
        return "sd_min must be > 0";
    if (takes & AM_DK_ZONES) {
        if (d->n_zones < 1 || d->n_zones > AM_DECAY_SPEC_MAX_ZONES)
            return "zones must list 1 to 16 [upper_min, weight] pairs";
        for (int k = 0; k < d->n_zones; k++) {
            if (!limit_minutes(d->zone_upper_min[k], &ds))
                return "a zone's upper_min must be > 0 and <= 1440 minutes, "
                       "and at least 0.1 s";
            if (k > 0 && !(d->zone_upper_min[k] > d->zone_upper_min[k - 1]))
                return "zones must be strictly ascending in upper_min";
            if (k > 0 && ds == prev_ds)
                return "two zones' upper_min are the same once rounded to "
                       "whole tenths of a second (travel times are counted "
                       "in 0.1 s)";
            prev_ds = ds;
            if (!(d->zone_weight[k] >= 0.0 && d->zone_weight[k] <= 1.0))
                return "a zone's weight must be in [0, 1]";
        }
    }
    return NULL;
}

/* The decay of a spec (checked): kernel form. */
static void decay_from_spec(const am_decay_spec *s, am_decay *d)
{
    memset(d, 0, sizeof *d);
    d->type = (am_decay_type)s->type;
    d->cutoff_min = s->cutoff_min;
    d->sigma_min = s->sigma_min;
    d->beta = s->beta;
    d->t_min = s->t_min;
    d->t_half_min = s->t_half_min;
    d->sd_min = s->sd_min;
    d->n_zones = s->n_zones;
    for (int k = 0; k < s->n_zones && k < AM_DECAY_MAX_ZONES; k++) {
        d->zone_upper_min[k] = s->zone_upper_min[k];
        d->zone_weight[k] = s->zone_weight[k];
    }
    if (d->type == AM_DECAY_ZONES && d->n_zones > 0)
        d->cutoff_min = d->zone_upper_min[d->n_zones - 1];
}

am_status am_measure_plan_of(const am_measure_spec *ms,
                             double largest_cutoff_min, am_measure_plan *out,
                             am_error *err)
{
    memset(out, 0, sizeof *out);
    const am_measure_info *info = am_measure_info_of(ms->type);
    if (info == NULL)
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "measure '%s': unknown type %d",
                            ms->name != NULL ? ms->name : "", (int)ms->type);
    out->info = info;
    out->alpha = ms->alpha > 0.0 ? ms->alpha : 1.0;
    out->n = ms->n > 0 ? ms->n : 1;
    out->persons_per_capacity =
        ms->persons_per_capacity > 0.0 ? ms->persons_per_capacity : 1.0;
    out->allocation = ms->allocation != AM_ALLOCATION_DEFAULT
                          ? ms->allocation
                          : AM_ALLOCATION_FIXED_POINT;
    if (ms->decay.type != AM_DECAY_KIND_NONE)
        decay_from_spec(&ms->decay, &out->decay);
    else if (ms->threshold_min > 0.0 && info->threshold_decay != 0) {
        out->decay.type = info->threshold_decay;
        out->decay.cutoff_min = ms->threshold_min;
    } else if (info->default_decay == AM_DECAY_ZONES) {
        am_decay_luo_qi(&out->decay);
    } else {
        return am_error_set(err, AM_ERR_INVALID, NULL,
                            "measure '%s' (%s): no threshold_min or decay",
                            ms->name != NULL ? ms->name : "", info->name);
    }
    out->limit_min = out->decay.cutoff_min;
    if (out->limit_min == 0.0 && largest_cutoff_min > 0.0) {
        out->limit_min = largest_cutoff_min;
        out->decay.cutoff_min = largest_cutoff_min;
        out->truncated = 1;
    }
    return AM_OK;
}

void am_measure_plan_describe(const am_measure_plan *p, char *buf, size_t n)
{
    const am_decay *d = &p->decay;
    size_t k = 0;
    int w = snprintf(buf, n, "%s", am_decay_type_name(d->type));
#define ADD(...)                                                               \
    do {                                                                       \
        if (w >= 0 && (size_t)w < n - k)                                       \
            k += (size_t)w;                                                    \
        else                                                                   \
            k = n - 1;                                                         \
        w = snprintf(buf + k, n - k, __VA_ARGS__);                             \
    } while (0)
    switch (d->type) {
    case AM_DECAY_ZONES:
        for (int z = 0; z < d->n_zones; z++)
            ADD("%s%g-%g min: %g", z == 0 ? " " : ", ",
                z == 0 ? 0.0 : d->zone_upper_min[z - 1], d->zone_upper_min[z],
                d->zone_weight[z]);
        break;
    case AM_DECAY_GAUSSIAN:
        ADD(" sigma %g min", d->sigma_min);
        break;
    case AM_DECAY_EXPONENTIAL:
        ADD(" beta %g per min", d->beta);
        break;
    case AM_DECAY_POWER:
        ADD(" beta %g, t_min %g min", d->beta, d->t_min);
        break;
    case AM_DECAY_LOGISTIC:
        ADD(" t_half %g min, sd %g min", d->t_half_min, d->sd_min);
        break;
    default:
        break;
    }
    if (d->type != AM_DECAY_ZONES && d->cutoff_min == 0.0)
        ADD("%s", ", no cutoff");
    else if (d->type != AM_DECAY_ZONES)
        ADD(", cutoff %g min%s", d->cutoff_min,
            p->truncated ? " (no cutoff given: truncated at the largest "
                           "cutoff)"
                         : "");
    ADD("%s", "");
#undef ADD
}

/* ---- issue 9, capacity_coverage's allocation ---------------------------- */

static const char *const allocation_names[] = {NULL, "proportional",
                                               "fixed_point"};
#define N_ALLOCATIONS                                                          \
    ((int)(sizeof allocation_names / sizeof allocation_names[0]))

am_allocation_kind am_allocation_named(const char *name)
{
    for (int i = 1; name != NULL && i < N_ALLOCATIONS; i++)
        if (strcmp(allocation_names[i], name) == 0)
            return (am_allocation_kind)i;
    return AM_ALLOCATION_DEFAULT;
}

const char *am_allocation_name(am_allocation_kind a)
{
    return (int)a >= 1 && (int)a < N_ALLOCATIONS ? allocation_names[a]
                                                 : "fixed_point";
}

const char *am_allocation_list(void)
{
    return "proportional, fixed_point";
}

const char *am_allocation_suggest(const char *name)
{
    return closest(name, allocation_names, N_ALLOCATIONS);
}
