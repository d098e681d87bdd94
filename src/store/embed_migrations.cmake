# Generates a C++ file holding every NNN_name.sql of SQL_DIR, in version order, as the array
# NAME with its length COUNT (kMigrations: SQLite's, migrations/; kPgMigrations: PostgreSQL's,
# migrations/pg/).
file(GLOB files "${SQL_DIR}/*.sql")
list(SORT files)
set(body "#include <cstddef>\nnamespace xd::internal {\nstruct Migration { int version; const char* name; const char* sql; };\nextern const Migration ${NAME}[] = {\n")
set(count 0)
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  math(EXPR version "${version}")
  file(READ ${f} sql)
  string(APPEND body "  {${version}, \"${name}\", R\"xdsql(${sql})xdsql\"},\n")
  math(EXPR count "${count}+1")
endforeach()
string(APPEND body "};\nextern const size_t ${COUNT} = ${count};\n}  // namespace xd::internal\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
