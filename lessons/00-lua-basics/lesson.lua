return {
  title = "Lua basics for the lessons ahead",
  summary = "Tables and # with nil, varargs and table.unpack, metatables as classes, <close>.",
  exercises = {
    {
      name = "lua_warmup",
      title = "Four small functions in the Lua the lessons use",
      hints = {
        "count(1, nil, 3): how many values does {...} really hold, and who else knows how many arguments there were?",
        "select(\"#\", ...) counts the arguments, nils included. table.unpack(t, 1, t.n) hands back t.n values, holes included.",
        "For the class: Counter.__index = Counter, and setmetatable(object, Counter) in new. For use: a local <close> value whose metatable has __close.",
      },
      grants = {},
    },
  },
}
