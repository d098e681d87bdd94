// The PostgreSQL backend of Store (internal/backend.h): not yet built (issue 13).
#include "store/internal/backend.h"

namespace xd::internal {

Result<std::unique_ptr<Store::Impl>> OpenPgStore(const StoreOptions& options, const Clock&, IdGenerator&) {
  return Fail(ErrorCode::UNAVAILABLE, "the PostgreSQL store is not built yet (issue 13): " + options.path);
}

}  // namespace xd::internal
