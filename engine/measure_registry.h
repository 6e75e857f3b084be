/*
 * measure_registry.h: the one table of the measures a scenario may ask for
 * (issue 9). The scenario parser (names, parameters, errors), the scenario
 * check (defaults, output names), the engine (kernel method and decay
 * table), the summary and the writer (formula, citation, unit) all read
 * it; nothing about a measure type is written anywhere else.
 *
 * Orientation: every measure is demand -> facility (kernels/fca.h).
 */
#ifndef AM_MEASURE_REGISTRY_H
#define AM_MEASURE_REGISTRY_H

#include <stddef.h>

#include <accessim.h>
#include "kernels/decay.h"
#include "kernels/fca.h"

/* Which keys a type takes (and requires), as bits. */
enum {
    AM_MP_THRESHOLD = 1 << 0, /* threshold_min */
    AM_MP_DECAY = 1 << 1,     /* decay */
    AM_MP_ALPHA = 1 << 2,     /* alpha */
    AM_MP_N = 1 << 3,         /* n */
    /* issue 9, capacity_coverage */
    AM_MP_PERSONS = 1 << 4,   /* persons_per_capacity */
    AM_MP_ALLOCATION = 1 << 5 /* allocation */
};

/* The decay a type accepts through `decay` (bits of 1 << am_decay_type). */
#define AM_DECAY_BIT(t) (1u << (unsigned)(t))
#define AM_DECAY_ANY 0xFFFFFFFFu

typedef struct am_measure_info {
    am_measure_type type;
    const char *name;     /* the scenario's `type:` value, "2sfca" */
    am_fca_method method; /* kernels/fca.h */
    unsigned takes;       /* AM_MP_* the type accepts */
    unsigned requires;    /* AM_MP_* it cannot run without */
    unsigned decays;      /* decay types `decay` may name */
    /* the decay when neither threshold_min nor decay is given:
       AM_DECAY_STEP at the default threshold, AM_DECAY_ZONES (Luo & Qi's
       zones) or 0 (the decay is required) */
    am_decay_type default_decay;
    /* threshold_min becomes this decay's cutoff (step, or Dai's d0) */
    am_decay_type threshold_decay;
    int has_ratio;         /* per-facility demand D_j and ratio R_j */
    const char *long_name; /* the raster's CF long_name */
    const char *units;     /* the raster's units */
    const char *formula;   /* attribute "formula" */
    const char *citation;  /* attribute "reference" */
} am_measure_info;

/* The entry of a type, NULL when unknown. */
const am_measure_info *am_measure_info_of(am_measure_type type);

/* The entry named `name` ("2sfca"), NULL when unknown. */
const am_measure_info *am_measure_info_named(const char *name);

/* The entries, in the scenario reference's order ([*n]). */
const am_measure_info *am_measure_infos(int *n);

/* 1 when sum_i P_i A_i = sum_{j: D_j > 0} S_j holds (2SFCA with any
 * decay, E2SFCA, KD2SFCA, 3SFCA; not M2SFCA, whose squared weights keep
 * part of the supply, nor BFCA, whose A_i is not per person). */
int am_measure_has_supply_identity(const am_measure_info *info);

/* "2sfca, e2sfca, ...": the type names, for messages. */
const char *am_measure_type_list(void);

/* The closest type name within 2 edits of `name`, NULL when none. */
const char *am_measure_type_suggest(const char *name);

/* Decay types by name ("exponential"); 0 when unknown. */
am_decay_type am_decay_type_named(const char *name);
const char *am_decay_type_name(am_decay_type t); /* NULL when unknown */
const char *am_decay_type_list(void);
const char *am_decay_type_suggest(const char *name);
/* The formula of a decay type, for the attribute and the docs. */
const char *am_decay_formula(am_decay_type t);

/* The keys of a decay type's mapping: bit per key of decay_keys below. */
enum {
    AM_DK_CUTOFF = 1 << 0, /* cutoff_min */
    AM_DK_ZONES = 1 << 1,  /* zones */
    AM_DK_SIGMA = 1 << 2,  /* sigma_min */
    AM_DK_BETA = 1 << 3,   /* beta */
    AM_DK_TMIN = 1 << 4,   /* t_min */
    AM_DK_THALF = 1 << 5,  /* t_half_min */
    AM_DK_SD = 1 << 6      /* sd_min */
};
/* What decay type t takes and requires (AM_DK_*). */
void am_decay_keys(am_decay_type t, unsigned *takes, unsigned *requires);

/* Luo & Qi's (2009) zones: 0-10, 10-20, 20-30 min, 1.00, 0.68, 0.22. */
void am_decay_luo_qi(am_decay *d);

/*
 * What a measure spec (checked by am_scenario_finalize) resolves to: the
 * decay (threshold_min made a step or Dai's Gaussian, the type's default,
 * or the spec's decay), the search limit in minutes and whether a smooth
 * decay without cutoff was truncated at largest_cutoff_min (network mode;
 * largest_cutoff_min <= 0: no truncation, the matrix mode). limit_min is 0
 * when the decay has no cutoff and none was imposed.
 */
typedef struct am_measure_plan {
    const am_measure_info *info;
    am_decay decay;
    double limit_min;
    int truncated;
    double alpha; /* SPAV, default 1 */
    int n;        /* NEAREST_N, default 1 */
    /* issue 9, capacity_coverage: k (default 1) and the allocation
       (default fixed_point) */
    double persons_per_capacity;
    am_allocation_kind allocation;
} am_measure_plan;

am_status am_measure_plan_of(const am_measure_spec *ms,
                             double largest_cutoff_min, am_measure_plan *out,
                             am_error *err);

/* "exponential beta=0.1 per min, cutoff 60 min (truncated at the largest
 * cutoff)": the decay in words (attribute "decay", summary). */
void am_measure_plan_describe(const am_measure_plan *p, char *buf, size_t n);

/*
 * Checks a decay's parameters (the rules the scenario file applies with
 * lines, and am_scenario_finalize without): NULL when valid, else a static
 * one-line reason naming the parameter ("beta must be > 0").
 */
const char *am_decay_spec_problem(const am_decay_spec *d);

/* issue 9, capacity_coverage's allocation by name ("fixed_point"; 0 when
 * unknown), its name, the list and the closest name within 2 edits. */
am_allocation_kind am_allocation_named(const char *name);
const char *am_allocation_name(am_allocation_kind a); /* default: fixed_point */
const char *am_allocation_list(void);
const char *am_allocation_suggest(const char *name);

#endif /* AM_MEASURE_REGISTRY_H */
