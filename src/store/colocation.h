// Distribution columns (issue 13; docs/scale-out.md, "Citus: distribution columns"): every
// table a shop owns carries its merchant's id, every share open its sharer's, so each table can
// be distributed by that column and a child row lands on its parent's shard. Which column each
// child table carries and which parent it must agree with is one list here, read by the check.
//
//   ASSIGN_OR_RETURN(auto problems, CheckColocation(reader));   // `xiaodian check`
//
// Thread-safety: stateless functions over the caller's Reader.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "store/store.h"

namespace xd {

// One child table's distribution column and the parent row it must agree with:
// `table.column` equals `parent.parent_column` of the parent row `parent.id = table.key`.
struct ColocatedChild {
  const char* table;
  const char* column;
  const char* key;  // the child's reference to its parent's `id`
  const char* parent;
  const char* parent_column;
};

// Every child table whose distribution column follows a parent's, parents before children.
std::span<const ColocatedChild> ColocatedChildren();

// Invariant for `xiaodian check`: every child row's distribution column equals its parent's
// (one query per entry of ColocatedChildren(), at most a few rows named per table). A row whose
// parent is missing is not this check's business. Each problem is one line.
Result<std::vector<std::string>> CheckColocation(Reader& r);

}  // namespace xd
