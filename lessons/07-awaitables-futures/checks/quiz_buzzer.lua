-- Checks for the quiz_buzzer exercise.
return {
  {
    name = "the first to buzz wins",
    points = 1,
    run = function(t)
      local r = t.call(t.load().quiz)
      t.no_error(r)
      t.eq(r.values[1], "Bo", "Bo buzzed first, at 1.0")
      t.time(r, 3.0)
    end,
  },
  {
    name = "every player is thanked",
    points = 2,
    run = function(t)
      local r = t.call(t.load().quiz)
      t.no_error(r)
      local thanked = select(2, (r.output or ""):gsub("thanks", ""))
      t.eq(r.output, "1.0 thanks, Bo\n2.0 thanks, Cy\n3.0 thanks, Al\n",
        "only " .. thanked .. " of 3 players were thanked. After the first buzz, winner is already done, "
        .. "and set_result on a done future raises InvalidStateError, which stops buzz before its print. "
        .. "Can buzz ask the future whether it is done first?")
    end,
  },
}
