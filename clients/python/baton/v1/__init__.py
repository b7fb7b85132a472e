"""Generated from proto/baton/v1 by `npm run gen`. Do not edit."""
