/* contract_ref.h: the serial oracle of am_graph_contract (contract_ref.c). */
#ifndef AM_CONTRACT_REF_H
#define AM_CONTRACT_REF_H

#include "kernels/contract.h"

am_status ref_graph_contract(int32_t n_nodes, int64_t n_arcs,
                             const int32_t *tail, const int32_t *head,
                             const uint32_t *time_ds, const uint8_t *keep,
                             const uint32_t *cut_w, uint32_t max_cut,
                             am_contraction **out, am_error *err);

#endif
