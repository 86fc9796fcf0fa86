# luasync_embed_files(OUT FUNC MODE ROOT FILES...): generates OUT, a C++ file
# defining `const EmbeddedChunk* FUNC()` over FILES (see tools/embed.cpp for
# MODE: "text" or "bytecode:PREFIX"). Each file is named by its path under ROOT.
function(luasync_embed_files out func mode root)
  set(files ${ARGN})
  string(REPLACE ";" "\n" lines "${files}")
  set(list ${out}.files)
  file(CONFIGURE OUTPUT ${list} CONTENT "${lines}\n")
  add_custom_command(
    OUTPUT ${out}
    COMMAND luasync_embed ${out} ${func} ${mode} ${root} ${list}
    DEPENDS luasync_embed ${files} ${list}
    COMMENT "Embedding ${func}"
    VERBATIM)
endfunction()
