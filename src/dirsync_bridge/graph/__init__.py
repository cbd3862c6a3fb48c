"""Microsoft Graph: the one client (msal sign-in, retries, paging) and its wire details."""
