// Early-return helpers for absl::Status, which abseil 20220623 lacks.
#ifndef SOCKETSVC_COMMON_STATUS_MACROS_H_
#define SOCKETSVC_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SOCKETSVC_CONCAT_INNER_(a, b) a##b
#define SOCKETSVC_CONCAT_(a, b) SOCKETSVC_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function if it is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status socketsvc_status_ = (expr);         \
    if (!socketsvc_status_.ok()) return socketsvc_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` declares x from an OK StatusOr, or returns
// its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(SOCKETSVC_CONCAT_(statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

#endif  // SOCKETSVC_COMMON_STATUS_MACROS_H_
